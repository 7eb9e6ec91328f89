package logging

import (
	"io"
	"sync"
)

// Writer returns a writer that passes everything written through r (nil
// scrubs the known shapes only) before it reaches w, so that every line a
// command prints, not only its log records, is scrubbed. Text is held
// until a newline so that a secret split across two writes is still seen
// whole; Flush writes what is held. It is safe for concurrent use.
func Writer(w io.Writer, r *Redactor) *RedactingWriter {
	return &RedactingWriter{w: w, r: r}
}

// RedactingWriter is the writer Writer returns.
type RedactingWriter struct {
	mu  sync.Mutex
	w   io.Writer
	r   *Redactor
	buf []byte
}

// Write scrubs and writes every complete line of p, and holds the rest.
// It reports len(p) written unless w fails.
func (rw *RedactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	last := -1
	for i := len(rw.buf) - 1; i >= 0; i-- {
		if rw.buf[i] == '\n' {
			last = i
			break
		}
	}
	if last < 0 {
		return len(p), nil
	}
	out := rw.r.String(string(rw.buf[:last+1]))
	rw.buf = append(rw.buf[:0], rw.buf[last+1:]...)
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush scrubs and writes what is held since the last newline.
func (rw *RedactingWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	out := rw.r.String(string(rw.buf))
	rw.buf = rw.buf[:0]
	_, err := io.WriteString(rw.w, out)
	return err
}

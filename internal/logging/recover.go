package logging

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover logs a panic, scrubbed, and stops it. Defer it directly at the top
// of a goroutine:
//
//	go func() {
//		defer logging.Recover(logger, "reconcile")
//		...
//	}()
//
// It must be the deferred function itself: recover works only there. The
// panic value and the stack are logged through logger, whose handler
// scrubs them like any other attribute.
func Recover(logger *slog.Logger, where string) {
	if p := recover(); p != nil {
		logPanic(logger, where, p)
	}
}

// RecoverFunc runs fn and turns a panic in it into an error, logging the
// panic as Recover does. The error says only where the panic happened: its
// value may hold anything.
func RecoverFunc(logger *slog.Logger, where string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			logPanic(logger, where, p)
			err = fmt.Errorf("%s: panic (logged)", where)
		}
	}()
	return fn()
}

// Middleware recovers a panic in next, logs it and, when nothing was written
// yet, answers 500 with an empty body; the server's own problem documents
// are the API's business, the recovery net only keeps the process alive and
// the panic out of the default stderr logger, which scrubs nothing.
// http.ErrAbortHandler is re-raised: it is net/http's way to abort a
// response and is no bug.
func Middleware(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p)
				}
				logPanic(logger, req.Method+" "+req.URL.Path, p)
				w.WriteHeader(http.StatusInternalServerError)
			}()
			next.ServeHTTP(w, req)
		})
	}
}

func logPanic(logger *slog.Logger, where string, p any) {
	logger.Error("panic recovered",
		slog.String("where", where),
		slog.Any("panic", p),
		slog.String("stack", string(debug.Stack())))
}

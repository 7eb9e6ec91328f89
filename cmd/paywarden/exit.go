package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// exitError carries the process exit code of a failed command.
// A nil err means the command already said what was wrong (for example audit
// findings) and only the exit code remains.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage or configuration error: exit code 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// configError marks err as a configuration error: exit code 2.
func configError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: 2, err: err}
}

// problemsFound reports that a command ran and found problems: exit code 1,
// with nothing more to print.
func problemsFound() error { return &exitError{code: 1} }

// report prints err as one line on w and returns the exit code for it.
func report(w io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(w, "paywarden: %s\n", msg)
	return code
}

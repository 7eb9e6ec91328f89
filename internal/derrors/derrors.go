// Package derrors adds context to errors on their way out of a function,
// as pkgsite's derrors does. It must not change an error's code: the
// wrapped error stays in the chain for paywarden.ErrorCode.
package derrors

import "fmt"

// Wrap adds the formatted context to a non-nil *errp, keeping *errp in the
// chain so that paywarden.ErrorCode still finds a code. Call it deferred:
//
//	defer derrors.Wrap(&err, "sqlite.Event(%q)", id)
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

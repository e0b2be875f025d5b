// Package app holds redoubt's use cases: start or resume a red-team run,
// re-render a stored run, guard texts, scan model files and datasets. Each
// is one function over plain request values that reports through events or
// callbacks and returns results and typed errors. The command line calls
// them after parsing its flags and renders what they return; a server, the
// gateway or a queue worker call the same functions.
//
// Nothing here prints, reads flags or exits.
package app

import (
	"errors"
	"fmt"
)

// UsageError marks a request that cannot be carried out as given: a bad
// option, an unknown run, a configuration the target rejects. The command
// line exits 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usage wraps err as a UsageError (nil stays nil).
func usage(err error) error {
	if err == nil {
		return nil
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

// usagef is usage with formatting.
func usagef(format string, args ...any) error { return &UsageError{Err: fmt.Errorf(format, args...)} }

// IsUsage reports whether err is a UsageError.
func IsUsage(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}

package server

import "errors"

// closers is a stack of cleanups for what Complete starts (gRPC servers and their stream workers,
// the REST face's connection, listeners), run last first: Complete unwinds it on any error, and
// Close unwinds it for a Server that never ran.
type closers []func() error

func (c *closers) push(f func() error) { *c = append(*c, f) }

// close runs every cleanup, last pushed first, once.
func (c *closers) close() error {
	var errs []error
	for i := len(*c) - 1; i >= 0; i-- {
		errs = append(errs, (*c)[i]())
	}
	*c = nil
	return errors.Join(errs...)
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// Error classes the engine knows without asking the transport.
const (
	ClassTimeout      = "timeout"
	ClassRefused      = "connection_refused"
	ClassReset        = "connection_reset"
	ClassBrokenPipe   = "broken_pipe"
	ClassEOF          = "eof"
	ClassEchoMismatch = "echo_mismatch"
	ClassInterrupted  = "interrupted"
	ClassCanceled     = "canceled"
	ClassOther        = "other"
)

// ErrEchoMismatch is returned by clients whose echo did not match what was sent.
var ErrEchoMismatch = errors.New("echo mismatch: the target answered with other bytes than were sent")

// ClassError is an error that knows its own class, such as "http_503" or
// "grpc_unavailable". Transports wrap their protocol errors in it so that
// the engine can count them without knowing the protocol.
type ClassError struct {
	Class string
	Err   error
}

func (e *ClassError) Error() string { return e.Err.Error() }
func (e *ClassError) Unwrap() error { return e.Err }

// WithClass gives err an explicit class.
func WithClass(class string, err error) error {
	if err == nil {
		return nil
	}
	return &ClassError{Class: class, Err: err}
}

// Errorf formats an error with an explicit class.
func Errorf(class, format string, args ...any) error {
	return &ClassError{Class: class, Err: fmt.Errorf(format, args...)}
}

// Classify names the class of an operation's error, for counting.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	var ce *ClassError
	if errors.As(err, &ce) {
		return ce.Class
	}
	var ne net.Error
	switch {
	case errors.Is(err, ErrEchoMismatch):
		return ClassEchoMismatch
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET):
		return ClassReset
	case errors.Is(err, syscall.EPIPE):
		return ClassBrokenPipe
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassEOF
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	}
	return ClassOther
}

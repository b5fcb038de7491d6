package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
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

	// Classes of the machine's limits and of a network that is not there:
	// the operation failed on this side, before the target saw a byte.
	ClassTooManyOpenFiles    = "too_many_open_files"   // EMFILE, ENFILE
	ClassAddressInUse        = "address_in_use"        // EADDRINUSE: no free local port
	ClassAddressNotAvailable = "address_not_available" // EADDRNOTAVAIL: ephemeral ports exhausted
	ClassNoBufferSpace       = "no_buffer_space"       // ENOBUFS
	ClassNetworkUnreachable  = "network_unreachable"   // ENETUNREACH, ENETDOWN
	ClassHostUnreachable     = "host_unreachable"      // EHOSTUNREACH, EHOSTDOWN
)

// unreachedClasses are the classes of operations that never reached the
// target: the connection was refused or could not even be attempted. A
// closed-loop worker backs off after one (see backoff.go), and the
// collector counts them to find when the target was unreachable.
var unreachedClasses = [...]string{
	ClassRefused, ClassTooManyOpenFiles, ClassAddressInUse, ClassAddressNotAvailable,
	ClassNoBufferSpace, ClassNetworkUnreachable, ClassHostUnreachable,
}

// Unreached says whether an error of this class means the operation never
// reached the target.
func Unreached(class string) bool {
	for _, c := range unreachedClasses {
		if c == class {
			return true
		}
	}
	return false
}

// LimitHint is what to do about an error class caused by this machine's
// limits, in a few words; "" for other classes.
func LimitHint(class string) string {
	switch class {
	case ClassTooManyOpenFiles:
		return "the process ran out of file descriptors: raise the limit (ulimit -n) or use fewer --connections"
	case ClassAddressInUse, ClassAddressNotAvailable:
		return "this machine ran out of local ports for new connections: use keep-alive connections and fewer of them, or widen net.ipv4.ip_local_port_range"
	case ClassNoBufferSpace:
		return "the kernel ran out of socket buffer memory: lower --connections or --concurrency"
	case ClassNetworkUnreachable, ClassHostUnreachable:
		return "no route to the target: check its address and this machine's network"
	}
	return ""
}

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

// unreachedErrnos are the system errors of an operation that never
// reached the target, in the order ClassOfMessage tries them.
var unreachedErrnos = [...]syscall.Errno{
	syscall.ECONNREFUSED, syscall.EMFILE, syscall.ENFILE, syscall.EADDRINUSE, syscall.EADDRNOTAVAIL,
	syscall.ENOBUFS, syscall.ENETUNREACH, syscall.ENETDOWN, syscall.EHOSTUNREACH, syscall.EHOSTDOWN,
}

// ClassOfMessage finds the class of a system error that a library passed
// on only as text (gRPC flattens a failed dial into its status message),
// or "" when the message names none of them.
func ClassOfMessage(msg string) string {
	for _, e := range unreachedErrnos {
		if strings.Contains(msg, e.Error()) {
			return Classify(e)
		}
	}
	return ""
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
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return ClassTooManyOpenFiles
	case errors.Is(err, syscall.EADDRINUSE):
		return ClassAddressInUse
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return ClassAddressNotAvailable
	case errors.Is(err, syscall.ENOBUFS):
		return ClassNoBufferSpace
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN):
		return ClassNetworkUnreachable
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return ClassHostUnreachable
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

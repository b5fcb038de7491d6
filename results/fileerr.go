package results

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// pathError restates a file system error as a sentence about the path a
// user gave, so that "stat x: no such file or directory" reads "x does not
// exist". It wraps err: errors.Is still sees fs.ErrNotExist and the rest.
type pathError struct {
	msg string
	err error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// FileError restates err, an error of reading (verb "read") or writing
// (verb "write") path, as a sentence naming path. Another error is
// wrapped with what could not be done to path.
func FileError(err error, verb, path string) error {
	var pe *fs.PathError
	if err == nil {
		return nil
	}
	if !errors.As(err, &pe) {
		return fmt.Errorf("cannot %s %s: %w", verb, path, err)
	}
	var msg string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s does not exist", path)
		if verb == "write" {
			msg = fmt.Sprintf("cannot write %s: its directory does not exist or takes no new files", path)
		}
	case errors.Is(err, fs.ErrPermission):
		msg = fmt.Sprintf("cannot %s %s: permission denied", verb, path)
	case errors.Is(err, syscall.EISDIR):
		msg = fmt.Sprintf("%s is a directory; name a file", path)
	case errors.Is(err, syscall.ENOTDIR):
		msg = fmt.Sprintf("cannot %s %s: a part of the path is a file, not a directory", verb, path)
	case errors.Is(err, syscall.EROFS):
		msg = fmt.Sprintf("cannot %s %s: the file system is read-only", verb, path)
	default:
		msg = fmt.Sprintf("cannot %s %s (%v)", verb, path, pe.Err)
	}
	return &pathError{msg: msg, err: err}
}

package results

import (
	"fmt"
	"os"
)

// WriteFileOrFallback writes r to path. When that fails (a full disk, a
// directory that cannot be written), it writes r to a new file in the
// system's temporary directory instead, so that nothing measured is lost,
// and returns that file's path with an error naming both: the caller must
// still fail, since the file asked for was not written.
func WriteFileOrFallback(path string, r *Result) (written string, err error) {
	werr := WriteFile(path, r)
	if werr == nil {
		return path, nil
	}
	fallback, ferr := writeTemp(r)
	if ferr != nil {
		return "", fmt.Errorf("%w; saving it to a temporary file failed too (%v): only the summary above is left", werr, ferr)
	}
	return fallback, fmt.Errorf("%w; the result was saved to %s instead", werr, fallback)
}

// writeTemp writes r to a new file in the temporary directory.
func writeTemp(r *Result) (string, error) {
	f, err := os.CreateTemp("", "commsbench-result-*.json")
	if err != nil {
		return "", err
	}
	if err := Encode(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

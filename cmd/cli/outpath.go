package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/commsbench/commsbench/results"
)

// checkOutWritable tells, before a run starts, whether its result can be
// written where --out says: a file, or with dir a directory that receives
// one file per run. Missing directories are created at the end, so the
// nearest one that exists must take a new file. The error names the path
// as the user gave it.
func checkOutWritable(out string, dir bool) error {
	if out == "" || out == "-" {
		return nil
	}
	d := filepath.Dir(filepath.Clean(out))
	if dir {
		d = filepath.Clean(out)
	}
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("--out %s: %s is a file, not a directory, so nothing can be written below it", out, d)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--out: %w", results.FileError(err, "write", out))
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	probe, err := os.CreateTemp(d, ".commsbench-probe-*")
	if err != nil {
		return fmt.Errorf("--out: %w; choose a path in a directory you can write to", results.FileError(err, "write", out))
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}

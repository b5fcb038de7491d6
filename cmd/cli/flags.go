package cli

import (
	"strconv"

	"github.com/commsbench/commsbench/results"
)

// byteSize is a flag holding a size in bytes, written as 256, 4KiB, 1MiB,
// 1kB or 2MB (see results.ParseBytes).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Type() string   { return "bytes" }
func (b *byteSize) Set(s string) error {
	n, err := results.ParseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

package queue

import (
	"bytes"
	"testing"
)

// FuzzParseHeader: any body either is refused or parses to a header that
// writes back to the same bytes (flag bits this version does not know aside).
func FuzzParseHeader(f *testing.F) {
	b := make([]byte, HeaderSize+4)
	Header{Run: 7, Producer: 3, Seq: 42, SentNS: 1_700_000_000_000_000_000, Warmup: true}.Put(b)
	f.Add(b)
	f.Add([]byte("CB"))
	f.Add(bytes.Repeat([]byte{0xff}, HeaderSize))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := ParseHeader(body)
		if err != nil {
			return
		}
		out := make([]byte, HeaderSize)
		h.Put(out)
		want := bytes.Clone(body[:HeaderSize])
		want[3] &= flagWarmup | flagReply
		if !bytes.Equal(out, want) {
			t.Errorf("% x parsed to %+v, which writes % x", body[:HeaderSize], h, out)
		}
		if back, err := ParseHeader(out); err != nil || back != h {
			t.Errorf("round trip: %+v, %v; want %+v", back, err, h)
		}
	})
}

package nats

import (
	"bytes"
	"errors"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	tests := []Header{
		// A measured message.
		{Run: 1, Producer: 2, Seq: 3, SentNS: 1_700_000_000_123_456_789},
		// A warm-up message with the largest numbers.
		{Run: ^uint32(0), Producer: ^uint32(0), Seq: ^uint64(0), SentNS: -1, Warmup: true},
	}
	for _, h := range tests {
		b := make([]byte, HeaderSize+3)
		h.Put(b)
		got, err := ParseHeader(b)
		if err != nil || got != h {
			t.Errorf("%+v came back as %+v, %v", h, got, err)
		}
	}
}

func TestParseHeaderRefuses(t *testing.T) {
	good := make([]byte, HeaderSize)
	Header{Seq: 1}.Put(good)
	version := bytes.Clone(good)
	version[2] = 9
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShortMessage},
		{"one byte short", good[:HeaderSize-1], ErrShortMessage},
		{"another magic", append([]byte("CB"), good[2:]...), ErrNotCommsbench},
		{"another version", version, ErrNotCommsbench},
		{"the probe", []byte(probeBody + "               "), ErrNotCommsbench},
	}
	for _, tc := range tests {
		if _, err := ParseHeader(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzParseHeader: any message is either refused or parses to a header
// that writes back to the same bytes (flag bits this version does not know
// aside), and a receiver never panics or allocates on its account.
func FuzzParseHeader(f *testing.F) {
	b := make([]byte, HeaderSize+4)
	Header{Run: 7, Producer: 1, Seq: 42, SentNS: 1_700_000_000_000_000_000, Warmup: true}.Put(b)
	f.Add(b)
	f.Add([]byte("CN"))
	f.Add(bytes.Repeat([]byte{0xff}, HeaderSize))
	r := newReceiver("fuzz", 1, 2, 7)
	order := newOrder(2)
	f.Fuzz(func(t *testing.T, body []byte) {
		r.delivery(body, false, 0, order)
		h, err := ParseHeader(body)
		if err != nil {
			return
		}
		out := make([]byte, HeaderSize)
		h.Put(out)
		want := bytes.Clone(body[:HeaderSize])
		want[3] &= flagWarmup
		if !bytes.Equal(out, want) {
			t.Errorf("% x parsed to %+v, which writes % x", body[:HeaderSize], h, out)
		}
		if back, err := ParseHeader(out); err != nil || back != h {
			t.Errorf("round trip: %+v, %v; want %+v", back, err, h)
		}
	})
}

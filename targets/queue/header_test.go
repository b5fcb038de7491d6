package queue

import (
	"errors"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		h    Header
	}{
		// The zero header: every field at its smallest.
		{"zero", Header{}},
		// A measured one-way message.
		{"measured", Header{Run: 0xdeadbeef, Producer: 3, Seq: 123456, SentNS: 1_790_000_000_123_456_789}},
		// Flags travel independently of each other.
		{"warm-up", Header{Run: 1, Producer: 0, Seq: 7, SentNS: 42, Warmup: true}},
		{"request-reply", Header{Run: 1, Producer: 1, Seq: 8, SentNS: 43, Reply: true}},
		{"warm-up request-reply", Header{Run: 1, Producer: 2, Seq: 9, SentNS: 44, Warmup: true, Reply: true}},
		// Extremes of every integer survive big-endian encoding.
		{"extremes", Header{Run: ^uint32(0), Producer: ^uint32(0), Seq: ^uint64(0), SentNS: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, HeaderSize+10)
			for i := range b {
				b[i] = 0xAA
			}
			tt.h.Put(b)
			got, err := ParseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.h {
				t.Errorf("round trip: got %+v, want %+v", got, tt.h)
			}
			for i := HeaderSize; i < len(b); i++ {
				if b[i] != 0xAA {
					t.Fatalf("Put wrote beyond the header at byte %d", i)
				}
			}
		})
	}
}

func TestHeaderLayout(t *testing.T) {
	// The layout is a contract with consumers in other processes: pin it.
	b := make([]byte, HeaderSize)
	Header{Run: 0x01020304, Producer: 0x05060708, Seq: 0x090a0b0c0d0e0f10, SentNS: 0x1112131415161718, Warmup: true, Reply: true}.Put(b)
	want := []byte{'C', 'B', 1, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
	if string(b) != string(want) {
		t.Errorf("layout\n got %v\nwant %v", b, want)
	}
	putSeq(b, 0x2122232425262728)
	if h, _ := ParseHeader(b); h.Seq != 0x2122232425262728 || h.Producer != 0x05060708 || h.SentNS != 0x1112131415161718 {
		t.Errorf("putSeq changed more than the sequence number: %+v", h)
	}
}

func TestParseHeaderRejects(t *testing.T) {
	good := make([]byte, HeaderSize)
	Header{Run: 9, Seq: 1}.Put(good)
	mutate := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		body []byte
		want error
	}{
		// Empty and short bodies cannot hold the header.
		{"empty", nil, ErrShortMessage},
		{"one byte short", good[:HeaderSize-1], ErrShortMessage},
		// Another producer's message, such as a JSON body.
		{"not ours", []byte(`{"order": 1234, "items": [1, 2, 3]}`), ErrNotCommsbench},
		{"bad magic", mutate(1, 'X'), ErrNotCommsbench},
		// A future header version is not guessed at.
		{"unknown version", mutate(2, 2), ErrNotCommsbench},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHeader(tt.body); !errors.Is(err, tt.want) {
				t.Errorf("ParseHeader: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBodySize(t *testing.T) {
	for _, tt := range []struct{ payload, want int }{
		{0, HeaderSize}, // the header always fits
		{HeaderSize - 1, HeaderSize},
		{HeaderSize, HeaderSize}, // exactly the header
		{1000, 1000},             // the header is part of the payload
	} {
		if got := bodySize(tt.payload); got != tt.want {
			t.Errorf("bodySize(%d) = %d, want %d", tt.payload, got, tt.want)
		}
	}
}

package event

import (
	"bytes"
	"strings"
	"testing"
)

func TestStampRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   Stamp
	}{
		// A measured event: no flags.
		{"measured", Stamp{Run: 0xdeadbeef, Producer: 3, Seq: 123456789, SentNS: 1_767_225_600_123_456_789}},
		// Warm-up and probe flags survive.
		{"warm-up", Stamp{Flags: FlagWarmup, Run: 1, Producer: 0, Seq: 0, SentNS: 1}},
		{"probe", Stamp{Flags: FlagProbe, Run: 7, Producer: 0, Seq: 42, SentNS: 2}},
		// The extremes of every field.
		{"max", Stamp{Flags: 0xff, Run: ^uint32(0), Producer: ^uint32(0), Seq: ^uint64(0), SentNS: 1<<63 - 1}},
		// A send time before the epoch stays negative.
		{"negative time", Stamp{SentNS: -5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.st.Encode()
			if len(b) != StampLen {
				t.Fatalf("encoded %d bytes, want %d", len(b), StampLen)
			}
			got, err := DecodeStamp(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.st {
				t.Errorf("decoded %+v, want %+v", got, tc.st)
			}
		})
	}
}

// The layout is documented in the README and read by other tools: pin it.
func TestStampLayout(t *testing.T) {
	st := Stamp{Flags: FlagWarmup, Run: 0x01020304, Producer: 0x05060708, Seq: 0x090a0b0c0d0e0f10, SentNS: 0x1112131415161718}
	want := []byte{1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}
	if got := st.Encode(); !bytes.Equal(got, want) {
		t.Errorf("encoded % x\nwant        % x", got, want)
	}
}

func TestDecodeStampRejects(t *testing.T) {
	good := Stamp{Seq: 1}.Encode()
	wrongVersion := append([]byte(nil), good...)
	wrongVersion[0] = 2
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		// Nothing at all.
		{"empty", nil, "0 bytes"},
		// Cut short or with trailing bytes.
		{"short", good[:StampLen-1], "25 bytes"},
		{"long", append(append([]byte(nil), good...), 0), "27 bytes"},
		// A later layout is refused rather than misread.
		{"version", wrongVersion, "version 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeStamp(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestStampMeasured(t *testing.T) {
	for _, tc := range []struct {
		flags uint8
		want  bool
	}{
		{0, true},                       // a measured event
		{FlagWarmup, false},             // warm-up
		{FlagProbe, false},              // join probe
		{FlagWarmup | FlagProbe, false}, // both
	} {
		if got := (Stamp{Flags: tc.flags}).Measured(); got != tc.want {
			t.Errorf("flags %b: Measured() = %v, want %v", tc.flags, got, tc.want)
		}
	}
}

func TestRunTag(t *testing.T) {
	if RunTag("a") == RunTag("b") {
		t.Error("different run ids share a tag")
	}
	id := "20260101T000000-abcdef"
	if first, again := RunTag(id), RunTag(id); first != again {
		t.Error("the tag of a run id is not stable")
	}
}

func FuzzDecodeStamp(f *testing.F) {
	f.Add(Stamp{Seq: 1, SentNS: 2}.Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeStamp(b)
		if err != nil {
			return
		}
		if !bytes.Equal(st.Encode(), b) {
			t.Errorf("% x decoded to %+v, which encodes to % x", b, st, st.Encode())
		}
	})
}

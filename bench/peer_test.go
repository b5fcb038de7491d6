package bench

import (
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		name string
		cpu  time.Duration
		ok   bool
	}{
		// A plain line: utime 250 and stime 50 ticks.
		{"2968 (beam.smp) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1", "beam.smp", 3 * time.Second, true},
		// A name with spaces and parentheses is taken up to the last ')'.
		{"7 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 1 2 0 0", "a (b) c", 30 * time.Millisecond, true},
		// Too few fields.
		{"7 (x) R 1 2", "", 0, false},
		// No name.
		{"7 x R", "", 0, false},
		// Ticks that are not numbers.
		{"7 (x) R 1 2 3 4 5 6 7 8 9 10 a 2 0 0", "", 0, false},
	} {
		name, cpu, err := parseStat([]byte(tc.in))
		if (err == nil) != tc.ok || name != tc.name || cpu != tc.cpu {
			t.Errorf("parseStat(%q) = %q, %v, %v; want %q, %v, ok %v", tc.in, name, cpu, err, tc.name, tc.cpu, tc.ok)
		}
	}
}

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 7865 1 000000001811b5b7 100 0 0 10 0
   1: 0100007F:1628 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   106        0 9999 1 000000001811b5b7 100 0 0 10 0
   2: 0100007F:107E 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4790 1 00000000022e1f73 100 0 0 10 0
`

func TestListeningInodes(t *testing.T) {
	for _, tc := range []struct {
		port int
		want []uint64
	}{
		// 5672 (0x1628): the listener only, not the established connection.
		{5672, []uint64{7865}},
		// 4222 (0x107E).
		{4222, []uint64{4790}},
		// Nobody listens.
		{80, nil},
	} {
		got := listeningInodes([]byte(procNetTCP), tc.port)
		if len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
			t.Errorf("port %d: %v, want %v", tc.port, got, tc.want)
		}
	}
}

// FuzzParseProc feeds both /proc parsers anything: they must not panic,
// and a CPU time is never negative.
func FuzzParseProc(f *testing.F) {
	f.Add([]byte(procNetTCP), 5672)
	f.Add([]byte("2968 (beam.smp) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1"), 0)
	f.Fuzz(func(t *testing.T, data []byte, port int) {
		_ = listeningInodes(data, port)
		if _, cpu, err := parseStat(data); err == nil && cpu < 0 {
			t.Errorf("negative CPU %v from %q", cpu, data)
		}
	})
}

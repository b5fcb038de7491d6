package messages

import (
	"sort"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// benchCodecs are the encoders measured: the two a run can use
// (encoding/json is --encoding json), and protojson, the proto3 JSON
// mapping, which JSON was chosen over on these figures.
var benchCodecs = []struct {
	name      string
	marshal   func(b []byte, m proto.Message) ([]byte, error)
	unmarshal func(b []byte, m proto.Message) error
}{
	{"protobuf", Protobuf.AppendMarshal, Protobuf.Unmarshal},
	{"encoding_json", JSON.AppendMarshal, JSON.Unmarshal},
	{"protojson", protojson.MarshalOptions{}.MarshalAppend, func(b []byte, m proto.Message) error { return protojson.Unmarshal(b, m) }},
}

// benchMessages are the samples plus orders of 1, 10 and 100 items.
func benchMessages() ([]string, map[string]proto.Message) {
	m := samples()
	m["Order/items=1"] = NewOrder(42, 1)
	m["Order/items=10"] = NewOrder(42, 10)
	m["Order/items=100"] = NewOrder(42, 100)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, m
}

// benchEach runs op as a sub-benchmark of every message and codec,
// with the message's encoding in buf, and reports its size (B/msg).
func benchEach(b *testing.B, op func(b *testing.B, c int, m proto.Message, buf []byte)) {
	names, msgs := benchMessages()
	for _, name := range names {
		m := msgs[name]
		for i, c := range benchCodecs {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				buf, err := c.marshal(nil, m)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				op(b, i, m, buf)
				b.ReportMetric(float64(len(buf)), "B/msg")
			})
		}
	}
}

// BenchmarkEncode: ns/op and allocs/op of encoding each message into a
// reused buffer, and its size in bytes (B/msg).
func BenchmarkEncode(b *testing.B) {
	benchEach(b, func(b *testing.B, c int, m proto.Message, buf []byte) {
		out := buf
		for b.Loop() {
			out, _ = benchCodecs[c].marshal(out[:0], m)
		}
	})
}

// BenchmarkDecode: ns/op and allocs/op of decoding each message.
func BenchmarkDecode(b *testing.B) {
	benchEach(b, func(b *testing.B, c int, m proto.Message, buf []byte) {
		into := m.ProtoReflect().New().Interface()
		for b.Loop() {
			proto.Reset(into)
			if err := benchCodecs[c].unmarshal(buf, into); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package grpctarget

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
)

// BenchmarkEcho measures one operation against the in-process target:
// "serial" is one worker's round trip, "parallel" is 8×GOMAXPROCS workers
// sharing one connection (and, in stream mode, one stream). Allocations
// count both sides, client and in-process target.
func BenchmarkEcho(b *testing.B) {
	for _, mode := range []string{ModeUnary, ModeStream} {
		b.Run(mode+"/serial", func(b *testing.B) {
			w := startBenchWorkload(b, mode)
			c := w.newClient(0)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(2 * 256)
			b.ResetTimer()
			for i := range b.N {
				if err := c.Do(ctx, bench.Op{Seq: int64(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/parallel", func(b *testing.B) {
			w := startBenchWorkload(b, mode)
			var seq, worker atomic.Int64
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(2 * 256)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := w.newClient(int(worker.Add(1)))
				for pb.Next() {
					if err := c.Do(ctx, bench.Op{Seq: seq.Add(1)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func startBenchWorkload(b *testing.B, mode string) *Workload {
	b.Helper()
	w, err := NewWorkload(Config{Mode: mode, PayloadBytes: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := w.Close(); err != nil {
			b.Error(err)
		}
	})
	if _, err := w.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkCall compares one Echo call of the built-in client with the
// same call made by --call with dynamic messages, against the in-process
// target, one worker: "echo" is the generated client, "static" a request
// parsed from --data once, "template" a request parsed from its JSON for
// each call, with a metadata value per call. The payload is 256 bytes.
func BenchmarkCall(b *testing.B) {
	payload := strings.Repeat("A", 344) // 256 bytes in base64
	for _, tc := range []struct {
		name string
		opts [][2]string
	}{
		{"echo", nil},
		{"static", [][2]string{{"call", "commsbench.echo.v1.Echo/Echo"}, {"data", `{"payload": "` + payload + `"}`}}},
		{"template", [][2]string{{"call", "commsbench.echo.v1.Echo/Echo"}, {"data", `{"payload": "{{rand 1000 9999}}` + payload[4:] + `"}`}, {"metadata", "x-seq: {{seq}}"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg, run, err := callRun{opts: tc.opts}.config(b)
			if err != nil {
				b.Fatal(err)
			}
			wl, err := cfg.Workload(run)
			if err != nil {
				b.Fatal(err)
			}
			w := wl.(*Workload)
			b.Cleanup(func() { _ = w.Close() })
			if _, err := w.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			c, err := w.NewClient(context.Background(), 0)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := c.Do(ctx, bench.Op{Seq: int64(i), Intended: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCodec is what a call's messages cost the client apart from
// gRPC: encoding the request and decoding the answer, generated messages
// against dynamic ones of the same descriptor, and, for a --data template,
// parsing the request's JSON. The payload is 256 bytes.
func BenchmarkCodec(b *testing.B) {
	payload := make([]byte, 256)
	gen := &echopb.EchoRequest{Payload: payload}
	desc := gen.ProtoReflect().Descriptor()
	dyn := dynamicpb.NewMessage(desc)
	dyn.Set(desc.Fields().ByName("payload"), protoreflect.ValueOfBytes(payload))
	js, err := protojson.Marshal(gen)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		req, out proto.Message
	}{
		{"generated", gen, new(echopb.EchoResponse)},
		{"dynamic", dyn, dynamicpb.NewMessage((&echopb.EchoResponse{}).ProtoReflect().Descriptor())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for range b.N {
				buf, _ = proto.MarshalOptions{}.MarshalAppend(buf[:0], tc.req)
				if err := proto.Unmarshal(buf, tc.out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := protojson.Unmarshal(js, dyn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

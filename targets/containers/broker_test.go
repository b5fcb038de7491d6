package containers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		err  bool
	}{
		{in: "queue", want: Queue},    // the transport's name
		{in: "RabbitMQ", want: Queue}, // the broker's, any case
		{in: "amqp", want: Queue},     // the protocol's
		{in: "event", want: Event},
		{in: "kafka", want: Event},
		{in: "rest", err: true}, // not a broker
		{in: "", err: true},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseKind(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestCheckImage(t *testing.T) {
	tests := []struct {
		kind  Kind
		image string
		ok    bool
	}{
		{Queue, DefaultQueueImage, true},
		{Queue, "rabbitmq:3.13-management", true},                               // any RabbitMQ image
		{Event, DefaultEventImage, true},                                        // the default
		{Event, "confluentinc/cp-kafka:7.6.1", true},                            // Confluent's full image has the same scripts
		{Event, "registry.local:5000/confluentinc/confluent-local:7.5.0", true}, // a mirror, port in the name
		{Event, "apache/kafka:3.8.0", false},                                    // no Confluent start scripts
		{Event, "apache/kafka-native:3.8.0", false},
		{Event, "docker.io/apache/kafka@sha256:abc", false}, // by digest
		{Event, "bitnami/kafka:3.7", false},
		{Queue, " ", false}, // empty
	}
	for _, tt := range tests {
		err := CheckImage(tt.kind, tt.image)
		if (err == nil) != tt.ok {
			t.Errorf("CheckImage(%s, %q) = %v", tt.kind, tt.image, err)
		}
		if err != nil && tt.kind == Event && !strings.Contains(err.Error(), DefaultEventImage) {
			t.Errorf("the error should name an image that works: %v", err)
		}
	}
}

func TestKafkaVersionFromLogs(t *testing.T) {
	tests := []struct {
		logs string
		want string
	}{
		// A Confluent image's broker start-up.
		{"[2026-01-01 10:00:00,000] INFO Kafka version: 7.9.0-ccs (org.apache.kafka.common.utils.AppInfoParser)\n", "7.9.0-ccs"},
		// Apache Kafka's wording is the same.
		{"INFO Kafka commitId: abc\nINFO Kafka version: 3.9.0 (org.apache...)", "3.9.0"},
		// Not logged (yet).
		{"Starting Kafka KRaft mode\n", ""},
	}
	for _, tt := range tests {
		if got := kafkaVersionFromLogs(tt.logs); got != tt.want {
			t.Errorf("kafkaVersionFromLogs(%q) = %q, want %q", tt.logs, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"amqp://guest:guest@localhost:32771/", "amqp://guest:xxxxx@localhost:32771/"}, // the container's URL
		{"amqp://user@h:5672/", "amqp://user@h:5672/"},                                 // no password
		{"127.0.0.1:9092", "127.0.0.1:9092"},                                           // not a URL
		{"amqp://u:p@ss@h/", "amqp://u:xxxxx@h/"},                                      // '@' in the password
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "brokers.json")
	s, err := ReadState(path)
	if err != nil || len(s.Brokers) != 0 {
		t.Fatalf("missing file: %+v, %v", s, err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q := (&Broker{Kind: Queue, Image: DefaultQueueImage, ContainerID: "c1", AMQPURL: "amqp://guest:guest@localhost:32771/", Version: "4.1.4"}).Keep(now)
	e := (&Broker{Kind: Event, Image: DefaultEventImage, ContainerID: "c2", Brokers: []string{"localhost:32772"}, Version: "7.9.0-ccs"}).Keep(now)
	s.DockerHost = "unix:///var/run/docker.sock"
	s.Put(q)
	s.Put(e)
	s.Put(q) // replaces, does not add
	if err := WriteState(path, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), QueuePassword+"@") || strings.Contains(string(data), ":"+QueuePassword) {
		t.Errorf("the state file holds the password:\n%s", data)
	}
	got, err := ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Brokers) != 2 || got.DockerHost != s.DockerHost {
		t.Fatalf("read back %+v", got)
	}
	kq, ok := got.Find(Queue)
	if !ok || kq.URL() != "amqp://guest:guest@localhost:32771/" || kq.Address() != "amqp://guest:xxxxx@localhost:32771/" || kq.Version != "4.1.4" || !kq.StartedAt.Equal(now) {
		t.Errorf("queue broker %+v, URL %s", kq, kq.URL())
	}
	ke, ok := got.Find(Event)
	if !ok || ke.URL() != "localhost:32772" || ke.ContainerID != "c2" {
		t.Errorf("event broker %+v", ke)
	}
	got.Drop(Queue)
	got.Drop(Event)
	if err := WriteState(path, got); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("an empty state should remove the file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(path); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("another version: %v", err)
	}
}

// fakeInner is a transport workload that records what happened to it.
type fakeInner struct {
	target results.Target
	calls  []string
}

func (f *fakeInner) Start(context.Context) (results.Target, error) {
	f.calls = append(f.calls, "start")
	return f.target, nil
}
func (f *fakeInner) NewClient(context.Context, int) (bench.Client, error) {
	f.calls = append(f.calls, "client")
	return nil, nil
}
func (f *fakeInner) Finish(context.Context, *results.Result) error {
	f.calls = append(f.calls, "finish")
	return nil
}
func (f *fakeInner) Close() error {
	f.calls = append(f.calls, "close")
	return nil
}

func TestWorkloadWrapsTheTransport(t *testing.T) {
	inner := &fakeInner{target: results.Target{Kind: results.TargetExternal, Broker: "rabbitmq", BrokerVersion: "4.1.4", Address: "amqp://guest:xxxxx@localhost:1/"}}
	b := &Broker{Kind: Queue, Image: DefaultQueueImage, AMQPURL: "amqp://guest:guest@localhost:1/", Version: "from-container"}
	w := Wrap(inner, b)
	ctx := context.Background()
	target, err := w.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The transport's own description wins where it has one.
	want := results.Target{Kind: results.TargetContainer, Broker: "rabbitmq", BrokerVersion: "4.1.4", Address: "amqp://guest:xxxxx@localhost:1/", Image: DefaultQueueImage}
	if target != want {
		t.Errorf("target %+v, want %+v", target, want)
	}
	if _, err := w.NewClient(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var r results.Result
	if err := w.Finish(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "Docker container ("+DefaultQueueImage+")") {
		t.Errorf("notes %q", r.Notes)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(inner.calls, ",") != "start,client,finish,close" {
		t.Errorf("transport calls %v", inner.calls)
	}
}

func TestWorkloadFillsWhatTheTransportLeavesOut(t *testing.T) {
	inner := &fakeInner{} // a transport that says nothing of its target
	b := &Broker{Kind: Event, Image: "confluentinc/cp-kafka:7.6.1", Brokers: []string{"localhost:2"}, Version: "7.6.1-ccs"}
	target, err := Wrap(inner, b).Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := results.Target{Kind: results.TargetContainer, Broker: "kafka", BrokerVersion: "7.6.1-ccs", Address: "localhost:2", Image: "confluentinc/cp-kafka:7.6.1"}
	if target != want {
		t.Errorf("target %+v, want %+v", target, want)
	}
}

func TestWorkloadStartFails(t *testing.T) {
	inner := &failingInner{fakeInner{}}
	target, err := Wrap(inner, &Broker{Kind: Queue}).Start(context.Background())
	if err == nil || err.Error() != "unreachable" {
		t.Errorf("Start: %v", err)
	}
	if target.Kind == results.TargetContainer {
		t.Error("a failed start described a target")
	}
}

type failingInner struct{ fakeInner }

func (f *failingInner) Start(context.Context) (results.Target, error) {
	return results.Target{}, errors.New("unreachable")
}

// Remove of a broker whose start never made a container does nothing.
func TestRemoveWithoutContainer(t *testing.T) {
	b := &Broker{Kind: Queue}
	if err := b.Remove(context.Background()); err != nil {
		t.Error(err)
	}
}

package event

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/commsbench/commsbench/targets/transport"
)

// BrokerName is how results name the embedded broker.
const BrokerName = "kfake (embedded, in-memory)"

// EmbeddedNote is the note every result measured on the embedded broker
// carries: a reader must not take its figures for a production Kafka's.
const EmbeddedNote = "embedded broker (kfake, in-memory, in this process): these figures measure the kafka-go client and the Kafka protocol over loopback, not a production Kafka's disks, replication or network"

// Defaults of the embedded broker.
const (
	// DefaultRetentionPerPartition bounds what a standalone embedded broker
	// keeps per partition of any topic (a run sets its own topic's bound).
	DefaultRetentionPerPartition = 64 << 20
	// retentionInterval is how often retention is applied.
	retentionInterval = time.Second
	// embeddedMaxMessageBytes lets a --payload-size up to 16 MiB through.
	embeddedMaxMessageBytes = 20 << 20
)

// BrokerConfig configures an embedded broker.
type BrokerConfig struct {
	// Addr is host:port to listen on; empty or port 0 picks a free port on
	// 127.0.0.1. The broker advertises this address to clients, so it must
	// be a specific one, not 0.0.0.0.
	Addr string
	// RetentionPerPartition bounds the bytes kept per partition; older
	// events are deleted, whole segments at a time. Default
	// DefaultRetentionPerPartition.
	RetentionPerPartition int64
	// Proxy puts a network proxy in front of the broker, whose address the
	// broker advertises (broker_faults.go).
	Proxy bool
}

// Broker is an embedded Kafka-protocol broker: kfake, one broker, all in
// memory. kfake keeps every event otherwise (two million events took
// 1.2 GB in a probe), so retention is applied every second, as a real
// broker's log cleaner would, and memory stays bounded on long runs.
type Broker struct {
	c     *kfake.Cluster
	addr  string
	proxy *transport.NetProxy // nil without Proxy
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// StartBroker starts an embedded broker.
func StartBroker(cfg BrokerConfig) (*Broker, error) {
	addr, err := listenAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	ret := cfg.RetentionPerPartition
	if ret <= 0 {
		ret = DefaultRetentionPerPartition
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("event: embedded broker: listen on %s: %w", addr, err)
	}
	var proxy *transport.NetProxy
	if cfg.Proxy {
		var pln net.Listener
		if pln, proxy, err = behindProxy(ln); err != nil {
			ln.Close()
			return nil, err
		}
		ln = pln
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		// kfake listens on 127.0.0.1 with a port of its choosing; handing
		// it our listener makes it advertise the address we were given;
		// a patient one keeps it accepting through a lack of descriptors.
		kfake.ListenFn(func(string, string) (net.Listener, error) { return newPatientListener(ln), nil }),
		kfake.BrokerConfigs(map[string]string{
			"log.retention.bytes": strconv.FormatInt(ret, 10),
			// Memory is freed a segment at a time: small segments keep
			// what is retained close to the bound.
			"log.segment.bytes": strconv.FormatInt(segmentBytes(ret), 10),
			"message.max.bytes": strconv.Itoa(embeddedMaxMessageBytes),
		}),
	)
	if err != nil {
		ln.Close()
		if proxy != nil {
			proxy.Close()
		}
		return nil, fmt.Errorf("event: start the embedded broker: %w", err)
	}
	b := &Broker{c: c, addr: ln.Addr().String(), proxy: proxy, stop: make(chan struct{}), done: make(chan struct{})}
	go b.retain()
	return b, nil
}

// segmentBytes is the segment size for a retention bound: a quarter of it,
// between 1 MiB and 64 MiB.
func segmentBytes(retention int64) int64 {
	return min(max(retention/4, 1<<20), 64<<20)
}

// listenAddr fills in the defaults of an embedded broker's address and
// refuses unspecified hosts, which the broker could not advertise.
func listenAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("event: broker address %q: want host:port, such as 127.0.0.1:9092", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "", fmt.Errorf("event: broker address %q: the broker tells clients the address it listens on, so give a specific one such as 127.0.0.1:%s", addr, port)
	}
	return net.JoinHostPort(host, port), nil
}

func (b *Broker) retain() {
	defer close(b.done)
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.c.ApplyRetention()
		}
	}
}

// Addr is the address the broker listens on (host:port).
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and drops everything it kept.
func (b *Broker) Close() {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
		b.c.Close()
		if b.proxy != nil {
			b.proxy.Close()
		}
	})
}

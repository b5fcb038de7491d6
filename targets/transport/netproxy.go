package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/commsbench/commsbench/bench/fault"
)

// NetProxy is an in-process TCP proxy (Toxiproxy, embedded as a library)
// between the load generator and an embedded target, through which a
// network fault adds latency and jitter to the path. Callers dial Addr
// instead of the target's address.
type NetProxy struct {
	proxy *toxiproxy.Proxy
}

// StartNetProxy starts a proxy on a free loopback port in front of upstream.
func StartNetProxy(upstream string) (*NetProxy, error) {
	nop := zerolog.Nop()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), nop)
	p := toxiproxy.NewProxy(srv, "commsbench", "127.0.0.1:0", upstream)
	p.Logger = &nop
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start the network proxy in front of %s: %w", upstream, err)
	}
	return &NetProxy{proxy: p}, nil
}

// Addr is the address callers dial.
func (p *NetProxy) Addr() string { return p.proxy.Listen }

// Close stops the proxy and drops its connections.
func (p *NetProxy) Close() { p.proxy.Stop() }

// latencyToxic is Toxiproxy's latency toxic as its JSON reads it: times in
// milliseconds.
type latencyToxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// Inject applies a network fault: every byte from the target to the
// caller waits the fault's latency, give or take its jitter, so that each
// answer arrives that much later. It returns what removes it.
func (p *NetProxy) Inject(f fault.Fault) (func() error, error) {
	if f.Kind != fault.Network {
		return nil, fmt.Errorf("the network proxy applies network faults, not %s", f.Kind)
	}
	name := "commsbench-" + f.String()
	data, err := json.Marshal(latencyToxic{
		Name: name, Type: "latency", Stream: "downstream", Toxicity: 1,
		Attributes: map[string]any{"latency": f.Latency.Milliseconds(), "jitter": f.Jitter.Milliseconds()},
	})
	if err != nil {
		return nil, err
	}
	if _, err := p.proxy.Toxics.AddToxicJson(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("add latency to the network proxy: %w", err)
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return p.proxy.Toxics.RemoveToxic(ctx, name)
	}, nil
}

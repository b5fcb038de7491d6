package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/commsbench/commsbench/bench/fault"
)

// NetProxy is an in-process TCP proxy (Toxiproxy, embedded as a library)
// between the load generator and an embedded target or a broker, through
// which a network fault adds latency, jitter, a bandwidth bound or resets
// to the path, and a broker-down fault cuts it. Callers dial Addr instead
// of the far side's address.
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

// toxic is a Toxiproxy toxic as its JSON reads it: times in
// milliseconds, rates in KB/s.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// toxics are the toxics a network fault adds:
//   - latency and jitter on the far side's answers (downstream), so that
//     each answer, a confirm, a reply, arrives that much later;
//   - bandwidth, in both directions;
//   - reset: each connection that carries data from the far side is reset
//     (RST) that long after.
func toxics(f fault.Fault) []toxic {
	name := "commsbench-" + f.String()
	var ts []toxic
	if f.Latency > 0 || f.Jitter > 0 {
		ts = append(ts, toxic{Name: name + "-latency", Type: "latency", Stream: "downstream", Toxicity: 1,
			Attributes: map[string]any{"latency": f.Latency.Milliseconds(), "jitter": f.Jitter.Milliseconds()}})
	}
	if f.Bandwidth > 0 {
		for _, s := range []string{"upstream", "downstream"} {
			ts = append(ts, toxic{Name: name + "-bandwidth-" + s, Type: "bandwidth", Stream: s, Toxicity: 1,
				Attributes: map[string]any{"rate": f.Bandwidth}})
		}
	}
	if f.Reset > 0 {
		ts = append(ts, toxic{Name: name + "-reset", Type: "reset_peer", Stream: "downstream", Toxicity: 1,
			Attributes: map[string]any{"timeout": f.Reset.Milliseconds()}})
	}
	return ts
}

// Inject applies a network fault to the path through the proxy (see
// toxics) and returns what removes it.
func (p *NetProxy) Inject(f fault.Fault) (func() error, error) {
	if f.Kind != fault.Network {
		return nil, fmt.Errorf("the network proxy applies network faults, not %s", f.Kind)
	}
	var added []string
	undo := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var first error
		for _, name := range added {
			if err := p.proxy.Toxics.RemoveToxic(ctx, name); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	for _, t := range toxics(f) {
		data, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if _, err := p.proxy.Toxics.AddToxicJson(bytes.NewReader(data)); err != nil {
			_ = undo()
			return nil, fmt.Errorf("add %s to the network proxy: %w", t.Type, err)
		}
		added = append(added, t.Name)
	}
	return undo, nil
}

// Cut drops every connection through the proxy and refuses new ones, as a
// broker that went away would, until Restore.
func (p *NetProxy) Cut() { p.proxy.Stop() }

// Restore takes connections again, on the same address, after Cut.
func (p *NetProxy) Restore() error {
	if err := p.proxy.Start(); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		return fmt.Errorf("the network proxy could not listen again on %s: %w", p.Addr(), err)
	}
	return nil
}

// InjectBroker applies a fault of the path to a broker through the proxy:
// broker-down cuts it for the window, network adds its toxics.
func (p *NetProxy) InjectBroker(f fault.Fault) (func() error, error) {
	switch f.Kind {
	case fault.BrokerDown:
		p.Cut()
		return p.Restore, nil
	case fault.Network:
		return p.Inject(f)
	}
	return nil, fmt.Errorf("the network proxy applies broker-down and network faults, not %s", f.Kind)
}

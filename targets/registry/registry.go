// Package registry holds the one list of transports. Commands, help,
// scenario validation, suite skipping and report labels are derived from
// it; adding a transport is a package under targets/ and one line here.
package registry

import (
	"strings"

	"github.com/commsbench/commsbench/targets/event"
	grpctarget "github.com/commsbench/commsbench/targets/grpc"
	"github.com/commsbench/commsbench/targets/nats"
	"github.com/commsbench/commsbench/targets/queue"
	"github.com/commsbench/commsbench/targets/rest"
	"github.com/commsbench/commsbench/targets/transport"
)

// All returns every transport, in the order help and tables list them.
func All() []transport.Transport {
	return []transport.Transport{
		rest.Transport(),
		grpctarget.Transport(),
		queue.Transport(),
		event.Transport(),
		nats.Transport(),
	}
}

// Lookup returns the transport named name.
func Lookup(name string) (transport.Transport, bool) {
	for _, t := range All() {
		if t.Name == name {
			return t, true
		}
	}
	return transport.Transport{}, false
}

// Names returns the transports' names in order.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	return names
}

// List writes the names for a sentence: "rest, grpc, queue or event".
func List() string {
	n := Names()
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

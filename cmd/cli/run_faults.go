package cli

import (
	"strings"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/targets/transport"
)

// faultList is --fault: each spec is parsed once, here, into a typed
// fault. The first --fault replaces the faults a scenario gave, and later
// ones add to it, so that flags override a scenario as they do elsewhere.
type faultList struct {
	faults []fault.Fault
	flag   bool
}

func (l *faultList) Type() string { return "spec" }

func (l *faultList) String() string {
	specs := make([]string, len(l.faults))
	for i, f := range l.faults {
		specs[i] = f.String()
	}
	return strings.Join(specs, " ")
}

func (l *faultList) Set(spec string) error {
	f, err := fault.Parse(spec)
	if err != nil {
		return err
	}
	if !l.flag {
		l.faults, l.flag = nil, true
	}
	l.faults = append(l.faults, f)
	return nil
}

// faultUsage is the help of --fault.
const faultUsage = "take the receiving side down or slow it for a window, repeatable: KIND@START+DURATION[,KEY=VALUE...]\n" +
	"such as down@5s+5s or slow@5s+10s,delay=20ms (START counts from the end of the warm-up; see docs/faults.md)"

// checkFaults refuses faults the transport cannot apply, or that do not
// fit the measured period, as usage errors.
func checkFaults(t transport.Transport, fs []fault.Fault, o *RunOptions) error {
	if len(fs) == 0 {
		return nil
	}
	for _, f := range fs {
		if !fault.Takes(t.Faults, f.Kind) {
			return &FlagError{err: fault.Refusal(t.Name, t.Faults, f)}
		}
	}
	if o.Duration <= 0 {
		return flagErrorf("--fault needs a measured period in time: give --duration (a run bounded by --requests alone has no clock to place a fault on)")
	}
	if err := fault.Check(fs, o.Duration); err != nil {
		return &FlagError{err: err}
	}
	return nil
}

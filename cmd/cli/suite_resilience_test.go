package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/report"
)

// The resilience phase is left out by default, added by --resilience,
// run alone by --resilience=only, and shortened by --resilience-duration
// (its fault the middle third) or given its own fault.
func TestResiliencePhasePlan(t *testing.T) {
	f, _, _ := testFactory()
	suite, err := library().Suite("microservices")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		flags  map[string]string
		phases []string
		fault  string
		dur    time.Duration
		bad    string
	}{
		{"default", nil, []string{report.SameLoad, report.Saturation}, "", 0, ""},
		{"with", map[string]string{"resilience": "with"}, []string{report.SameLoad, report.Saturation, report.Resilience}, "down@5s+5s", 15 * time.Second, ""},
		{"only, shorter", map[string]string{"resilience": "only", "resilience-duration": "6s"}, []string{report.Resilience}, "down@2s+2s", 6 * time.Second, ""},
		{"a fault of its own", map[string]string{"resilience-fault": "slow@1s+2s,delay=20ms", "resilience-duration": "4s"}, []string{report.SameLoad, report.Saturation, report.Resilience}, "slow@1s+2s,delay=20ms", 4 * time.Second, ""},
		{"off", map[string]string{"resilience": "off"}, []string{report.SameLoad, report.Saturation}, "", 0, ""},
		{"a bad mode", map[string]string{"resilience": "sometimes"}, nil, "", 0, "choose with, only or off"},
		{"a fault past the end", map[string]string{"resilience": "only", "resilience-fault": "down@5s+5s", "resilience-duration": "6s"}, nil, "", 0, "after the measured period"},
		{"a bad fault", map[string]string{"resilience-fault": "down@5s"}, nil, "", 0, "write a fault as"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := NewCmdSuite(f)
			o := &suiteOptions{}
			for k, v := range c.flags {
				if err := cmd.Flags().Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			o.Resilience.Mode, _ = cmd.Flags().GetString("resilience")
			o.Resilience.Fault, _ = cmd.Flags().GetString("resilience-fault")
			o.Resilience.Duration, _ = cmd.Flags().GetDuration("resilience-duration")
			two, err := o.phases(cmd, suite)
			if err != nil {
				t.Fatal(err)
			}
			phases, err := o.Resilience.plan(cmd, suite, two)
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) || !isUsage(err) {
					t.Fatalf("err %v, want a usage error saying %q", err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range phases {
				names = append(names, p.name)
			}
			if strings.Join(names, ",") != strings.Join(c.phases, ",") {
				t.Fatalf("phases %v, want %v", names, c.phases)
			}
			last := phases[len(phases)-1]
			if c.fault == "" {
				if len(last.faults) != 0 {
					t.Errorf("faults %v in the %s phase", last.faults, last.name)
				}
				return
			}
			if len(last.faults) != 1 || last.faults[0].String() != c.fault || last.measure != c.dur || last.rate != 1000 {
				t.Errorf("resilience phase %+v, want %s in %v at 1000/s", last, c.fault, c.dur)
			}
			// Every scenario whose transport takes the fault runs it (NATS
			// too, since it takes broker faults); the others are left out
			// of the phase, saying why.
			entries, err := prepare(f, suite, phases, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				req, skip := e.req[len(phases)-1], e.skip[len(phases)-1]
				tr, err := scenarioTransport(e.sc)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case !fault.Takes(tr.Faults, last.faults[0].Kind):
					if req != nil || !strings.Contains(skip, "no resilience phase") {
						t.Errorf("%s: request %v, skip %q", e.sc.Name, req != nil, skip)
					}
				default:
					if req == nil || len(req.Engine.Faults) != 1 || req.Engine.Rate != 1000 || req.Phase != report.Resilience {
						t.Errorf("%s: resilience request %+v", e.sc.Name, req)
					}
					if len(phases) > 1 && len(e.req[0].Engine.Faults) != 0 {
						t.Errorf("%s: faults in the same-load phase", e.sc.Name)
					}
				}
			}
		})
	}
}

func isUsage(err error) bool {
	var fe *FlagError
	return errors.As(err, &fe)
}

// The resilience phase comes after either kind of saturation phase: the
// search (the default) or the closed loop of older versions.
func TestResiliencePhaseWithEitherSaturation(t *testing.T) {
	f, _, _ := testFactory()
	suite, err := library().Suite("microservices")
	if err != nil {
		t.Fatal(err)
	}
	for _, sat := range []string{saturationSearch, saturationClosed} {
		cmd := NewCmdSuite(f)
		o := &suiteOptions{Saturation: sat, Resilience: resilienceFlags{Mode: resilienceWith}}
		two, err := o.phases(cmd, suite)
		if err != nil {
			t.Fatal(err)
		}
		phases, err := o.Resilience.plan(cmd, suite, two)
		if err != nil {
			t.Fatal(err)
		}
		if len(phases) != 3 || phases[1].name != report.Saturation || phases[1].search != (sat == saturationSearch) ||
			phases[2].name != report.Resilience || phases[2].search || len(phases[2].faults) != 1 {
			t.Fatalf("--saturation %s --resilience: phases %+v", sat, phases)
		}
		entries, err := prepare(f, suite, phases, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if r := e.req[1]; r.Search.On != (sat == saturationSearch) || (sat == saturationClosed && r.Engine.Rate != 0) {
				t.Errorf("%s: saturation request searching %v at %v/s", e.sc.Name, r.Search.On, r.Engine.Rate)
			}
			if r := e.req[2]; r != nil && (r.Search.On || len(r.Engine.Faults) != 1) {
				t.Errorf("%s: resilience request searching %v with faults %v", e.sc.Name, r.Search.On, r.Engine.Faults)
			}
		}
	}
}

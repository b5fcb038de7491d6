// Package cli holds commsbench's cobra commands. Flags exist only here:
// each command turns its flags into the options of the packages it drives.
package cli

import (
	"io"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/term"
)

// Build information, set with -ldflags "-X github.com/commsbench/commsbench/cmd/cli.version=…".
var (
	version = "dev"
	commit  = ""
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY says whether ErrOut is a terminal: only then is a live
	// progress line drawn on it.
	ErrTTY bool
}

// Factory carries what commands need from the outside world, so that tests
// can replace it.
type Factory struct {
	IO     IOStreams
	Getenv func(string) string
	Now    func() time.Time
	// Args is the command line, recorded (with secrets redacted) in results.
	Args    []string
	Version string
	Commit  string
	// ServeCommand starts a run's embedded target or broker in a process
	// of its own (see served.go); nil keeps them in this process, as
	// --in-process does.
	ServeCommand ServeCommand
}

// System is the Factory of the real process.
func System() *Factory {
	return &Factory{
		IO: IOStreams{
			In:     os.Stdin,
			Out:    os.Stdout,
			ErrOut: os.Stderr,
			ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		},
		Getenv:  os.Getenv,
		Now:     time.Now,
		Args:    os.Args,
		Version: buildVersion(),
		Commit:  buildCommit(),
		// testscript sets os.Args[0] to the name a test binary standing in
		// for commsbench answers to.
		ServeCommand: selfServeCommand(os.Args[0]),
	}
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
		return rev
	}
	return ""
}

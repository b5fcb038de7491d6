package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/results"
)

// shardStartDelay is how far ahead a local fan-out sets --start-at: long
// enough for the children to start and connect (a few hundred
// milliseconds each on a loaded machine), short enough not to be noticed.
const shardStartDelay = 2 * time.Second

// fanOutFlags are the flags a shard's command line must not inherit from
// the command that starts the shards: they say where the whole run's
// result goes, or which part a process is, and are set per shard.
var fanOutFlags = []string{"shards", "shard", "start-at", "run-id", "out", "format", "quiet", "cpuprofile", "count"}

// shardArgs is args (a "run <transport>" command line without the
// program's name) without the flags named in drop, as fs parses them.
func shardArgs(args []string, fs *pflag.FlagSet, drop []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var fl *pflag.Flag
		if strings.HasPrefix(a, "--") {
			fl = fs.Lookup(name)
		} else if len(name) == 1 {
			fl = fs.ShorthandLookup(name)
		}
		takesNext := fl != nil && !hasValue && fl.NoOptDefVal == "" && i+1 < len(args)
		if fl != nil && containsName(drop, fl.Name) {
			if takesNext {
				i++
			}
			continue
		}
		out = append(out, a)
		if takesNext {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// shardCommand is the command line of shard i of n: the run's own flags
// and its part.
func shardCommand(base []string, sh bench.Shard, startAt time.Time, runID string) []string {
	return append(append([]string{}, base...),
		"--shard", sh.String(), "--start-at", startAt.UTC().Format(time.RFC3339Nano), "--run-id", runID)
}

// executeShards is run --shards N: it starts N child processes of this
// program, each running its shard of the load from one instant, forwards
// an interrupt to them, and merges their results into one.
func executeShards(ctx context.Context, f *Factory, req *runRequest, fs *pflag.FlagSet) error {
	exe, err := os.Executable()
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--shards: cannot find this program to start its shards: %w", err)}
	}
	dir, err := os.MkdirTemp("", "commsbench-shards-")
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--shards: a directory for the shards' results: %w", err)}
	}
	defer os.RemoveAll(dir)

	n := req.Dist.Shards
	runID := req.Dist.RunID
	if runID == "" {
		runID = newRunID(f.Now())
	}
	startAt := req.Dist.StartAt
	if startAt.IsZero() {
		startAt = f.Now().Add(shardStartDelay).Truncate(time.Millisecond)
	}
	base := shardArgs(f.Args[1:], fs, fanOutFlags)
	if !req.Output.Quiet {
		fmt.Fprintf(f.IO.ErrOut, "starting %d shards of run %s; measuring starts at %s after the warm-up\n", n, runID, startAt.Add(req.Engine.Warmup).Local().Format("15:04:05.000"))
	}
	shards := make([]*shardProcess, n)
	var errMu sync.Mutex
	for i := range shards {
		sh := bench.Shard{Index: i, Count: n}
		args := append(shardCommand(base, sh, startAt, runID), "--out", filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)), "--quiet")
		shards[i] = &shardProcess{shard: sh, out: args[len(args)-2]}
		cmd := &exec.Cmd{Path: exe, Args: append([]string{f.Args[0]}, args...), Env: os.Environ()}
		cmd.Stdout = io.Discard
		cmd.Stderr = &prefixWriter{prefix: fmt.Sprintf("shard %s: ", sh), w: f.IO.ErrOut, mu: &errMu}
		cmd.SysProcAttr = childProcAttr()
		shards[i].cmd = cmd
	}
	if err := runShards(ctx, shards); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	return mergeShards(ctx, f, req, shards)
}

// shardProcess is one child of a local fan-out.
type shardProcess struct {
	shard bench.Shard
	cmd   *exec.Cmd
	out   string
	err   error // how the process ended
}

// runShards starts the shards and waits for them, interrupting them when
// ctx ends. The children are started from one locked OS thread that
// lives until they end: on Linux they are killed when it exits
// (Pdeathsig), which is when this process dies.
func runShards(ctx context.Context, shards []*shardProcess) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i, s := range shards {
			if err := s.cmd.Start(); err != nil {
				for _, started := range shards[:i] {
					_ = started.cmd.Process.Kill()
					_ = started.cmd.Wait()
				}
				done <- fmt.Errorf("--shards: start shard %s: %w", s.shard, err)
				return
			}
		}
		stop := context.AfterFunc(ctx, func() {
			for _, s := range shards {
				interruptChild(s.cmd.Process)
			}
		})
		defer stop()
		for _, s := range shards {
			s.err = s.cmd.Wait()
		}
		done <- nil
	}()
	return <-done
}

// mergeShards merges the results the shards wrote, prints and writes the
// merged one, and says how the run ended.
func mergeShards(ctx context.Context, f *Factory, req *runRequest, shards []*shardProcess) error {
	var parts []*results.Result
	var failed []string
	for _, s := range shards {
		r, err := results.ReadFile(s.out)
		if err == nil {
			parts = append(parts, r)
		}
		if s.err != nil && ctx.Err() == nil {
			failed = append(failed, fmt.Sprintf("shard %s (%v)", s.shard, s.err))
		}
	}
	if len(parts) == 0 {
		if ctx.Err() != nil {
			return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted before any shard measured anything")}
		}
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("no shard wrote a result: %s failed; see their messages above", strings.Join(failed, ", "))}
	}
	merged, err := results.MergeResults(parts)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("merge the shards: %w", err)}
	}
	merged.Command = results.RedactArgs(f.Args)
	if werr := writeRunOutputs(f, req.Output, merged); werr != nil {
		return &ExitError{Code: ExitFailure, Err: werr}
	}
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted; the merged result above is partial")}
	case len(failed) > 0:
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s failed; see their messages above", strings.Join(failed, ", "))}
	case !merged.Measured():
		return &ExitError{Code: ExitFailure, Err: merged.NothingMeasured()}
	}
	return nil
}

// prefixWriter writes whole lines to w, each after prefix; writers that
// share mu do not interleave within a line.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Peer is the process on this machine that listens on a run's target
// address — a broker such as RabbitMQ, or a receiver started apart with
// 'commsbench serve' — whose CPU time a run can count beside its own, so
// that a mechanism's cost is client + receiver + broker.
type Peer struct {
	PID  int
	Name string // the process's command name, from /proc/PID/stat
	// Self is true when the listener is this process (an embedded target
	// or broker): its CPU is already in the process's own figure.
	Self bool
}

// errNotMeasured marks why a peer's CPU was not measured: a sentence for
// the result ("not measured: …").
var errNotMeasured = errors.New("not measured")

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// Linux fixes it at 100 on every architecture Go runs on; reading it
// properly (sysconf) would need cgo.
const clockTicks = 100

// listenPort returns the TCP port of a target address given as host:port
// or a URL, when the host is this machine (a loopback address or
// localhost). Another host is remote: its CPU cannot be read here.
func listenPort(address string) (int, error) {
	hostport := address
	if strings.Contains(address, "://") {
		u, err := url.Parse(address)
		if err != nil {
			return 0, fmt.Errorf("%w: the address %q does not parse", errNotMeasured, address)
		}
		hostport = u.Host
		if u.Port() == "" {
			return 0, fmt.Errorf("%w: the address %q names no port", errNotMeasured, address)
		}
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, fmt.Errorf("%w: the address %q is not host:port", errNotMeasured, address)
	}
	ip := net.ParseIP(host)
	if !(host == "localhost" || ip != nil && ip.IsLoopback()) {
		return 0, fmt.Errorf("%w: %s is not this machine", errNotMeasured, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("%w: port %q is not a TCP port", errNotMeasured, port)
	}
	return n, nil
}

// listeningInodes parses /proc/net/tcp or /proc/net/tcp6 and returns the
// socket inodes in state LISTEN (0A) on port. Lines that do not parse are
// skipped: the kernel's format is fixed, and a partial read only loses a
// socket.
func listeningInodes(data []byte, port int) []uint64 {
	var inodes []uint64
	for i, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if i == 0 || len(f) < 10 || f[3] != "0A" {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		ino, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil || ino == 0 {
			continue
		}
		inodes = append(inodes, ino)
	}
	return inodes
}

// parseStat reads the command name and utime+stime of /proc/PID/stat. The
// name is in parentheses and may hold spaces and parentheses itself, so
// the fields are counted from the last ')'.
func parseStat(data []byte) (name string, cpu time.Duration, err error) {
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return "", 0, errors.New("no command name in parentheses")
	}
	name = string(data[open+1 : end])
	// After the name: state (field 3) … utime (14), stime (15).
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 13 {
		return "", 0, fmt.Errorf("%d fields after the name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return "", 0, fmt.Errorf("utime or stime %q: not a count of clock ticks", s)
		}
		ticks += v
	}
	if ticks > uint64(1<<62)/uint64(time.Second/clockTicks) {
		return "", 0, fmt.Errorf("utime+stime %d ticks: too large", ticks)
	}
	return name, time.Duration(ticks) * (time.Second / clockTicks), nil
}

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FindPeer finds the process on this machine that listens on address
// (host:port or a URL): the socket's inode in /proc/net/tcp{,6}, then the
// process holding it among /proc/*/fd. Its error says why the peer's CPU
// is not measured: a remote host, no listener, or a process this user may
// not look into.
func FindPeer(address string) (Peer, error) {
	port, err := listenPort(address)
	if err != nil {
		return Peer{}, err
	}
	want := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, ino := range listeningInodes(data, port) {
			want["socket:["+strconv.FormatUint(ino, 10)+"]"] = true
		}
	}
	if len(want) == 0 {
		return Peer{}, fmt.Errorf("%w: no process on this machine listens on port %d", errNotMeasured, port)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	denied := false
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			denied = denied || os.IsPermission(err)
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(dir + "/fd/" + fd.Name())
			if err != nil || !strings.HasPrefix(link, "socket:[") || !want[link] {
				continue
			}
			p := Peer{PID: pid, Self: pid == os.Getpid()}
			if data, err := os.ReadFile(dir + "/stat"); err == nil {
				p.Name, _, _ = parseStat(data)
			}
			return p, nil
		}
	}
	if denied {
		return Peer{}, fmt.Errorf("%w: the process listening on port %d belongs to another user (run as that user or root to count it)", errNotMeasured, port)
	}
	return Peer{}, fmt.Errorf("%w: no process found holding the socket on port %d", errNotMeasured, port)
}

// CPU is the peer's user + system CPU time so far, from /proc/PID/stat.
func (p Peer) CPU() (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("%w: the process %d is gone or hidden (%v)", errNotMeasured, p.PID, err)
	}
	_, cpu, err := parseStat(data)
	if err != nil {
		return 0, fmt.Errorf("%w: /proc/%d/stat: %v", errNotMeasured, p.PID, err)
	}
	return cpu, nil
}

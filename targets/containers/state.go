package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StateVersion is the version of the state file written here.
const StateVersion = 1

// State is what "brokers up" leaves behind for "brokers down" and later
// runs: the containers it kept running. It holds no password.
type State struct {
	Version int `json:"version"`
	// DockerHost is the engine the containers run on.
	DockerHost string       `json:"docker_host"`
	Brokers    []KeptBroker `json:"brokers"`
}

// KeptBroker is a broker container left running by "brokers up".
type KeptBroker struct {
	Kind        Kind   `json:"kind"`
	ContainerID string `json:"container_id"`
	Image       string `json:"image"`
	Version     string `json:"broker_version,omitempty"`
	// Endpoint is host:port of the AMQP port (queue) or the bootstrap
	// brokers, comma-separated (event).
	Endpoint  string    `json:"endpoint"`
	StartedAt time.Time `json:"started_at"`
}

// URL is what to pass to a run: the AMQP URL with the image's default
// credentials (queue), or the bootstrap brokers (event).
func (k KeptBroker) URL() string {
	if k.Kind == Event {
		return k.Endpoint
	}
	return "amqp://" + QueueUser + ":" + QueuePassword + "@" + k.Endpoint + "/"
}

// Address is URL with the password hidden.
func (k KeptBroker) Address() string { return redactURL(k.URL()) }

// Keep describes b for the state file.
func (b *Broker) Keep(now time.Time) KeptBroker {
	k := KeptBroker{Kind: b.Kind, ContainerID: b.ContainerID, Image: b.Image, Version: b.Version, StartedAt: now.UTC()}
	if b.Kind == Event {
		k.Endpoint = strings.Join(b.Brokers, ",")
	} else if u, err := url.Parse(b.AMQPURL); err == nil {
		k.Endpoint = u.Host
	}
	return k
}

// Find returns the kept broker of a kind.
func (s *State) Find(kind Kind) (KeptBroker, bool) {
	for _, b := range s.Brokers {
		if b.Kind == kind {
			return b, true
		}
	}
	return KeptBroker{}, false
}

// Put records b, replacing a broker of the same kind.
func (s *State) Put(b KeptBroker) {
	s.Drop(b.Kind)
	s.Brokers = append(s.Brokers, b)
}

// Drop forgets the broker of a kind.
func (s *State) Drop(kind Kind) {
	kept := s.Brokers[:0]
	for _, b := range s.Brokers {
		if b.Kind != kind {
			kept = append(kept, b)
		}
	}
	s.Brokers = kept
}

// DefaultStatePath is the state file in the user's cache directory.
func DefaultStatePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory for the brokers' state file: %w", err)
	}
	return filepath.Join(dir, "commsbench", "brokers.json"), nil
}

// ReadState reads a state file; a missing one is an empty State.
func ReadState(path string) (State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{Version: StateVersion}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read the brokers' state file: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("read the brokers' state file %s: %w (remove it if the containers are gone)", path, err)
	}
	if s.Version != StateVersion {
		return State{}, fmt.Errorf("the brokers' state file %s has version %d, this commsbench reads %d", path, s.Version, StateVersion)
	}
	return s, nil
}

// WriteState writes the state file, or removes it when no broker is kept.
// The write is atomic: a reader sees the old file or the new one.
func WriteState(path string, s State) error {
	if len(s.Brokers) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove the brokers' state file: %w", err)
		}
		return nil
	}
	s.Version = StateVersion
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write the brokers' state file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".brokers-*.json")
	if err != nil {
		return fmt.Errorf("write the brokers' state file: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the brokers' state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the brokers' state file: %w", err)
	}
	return nil
}

package containers

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The few Docker Engine API calls made without testcontainers: the health
// check, and what "brokers down" needs. Each is bounded by its context.
//
// Paths carry no API version: an engine answers unversioned paths with its
// own current version, and these calls exist in every version.

// errNotProbed marks an engine address this package cannot speak to itself.
var errNotProbed = errors.New("address not probed here")

// ErrNoSuchContainer is returned for a container the engine does not know.
var ErrNoSuchContainer = errors.New("no such container")

// apiClient speaks HTTP to one Docker engine.
type apiClient struct {
	base string // scheme://host of the requests
	hc   *http.Client
}

// newAPIClient makes a client for a DOCKER_HOST-style address.
func newAPIClient(host string, tlsCfg *tls.Config) (*apiClient, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	tr := &http.Transport{
		// Nothing outlives a call: no idle connection, no background reader.
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: 0, // the context bounds each call
	}
	c := &apiClient{hc: &http.Client{Transport: tr}}
	switch u.Scheme {
	case "unix":
		path, _ := hostSocketPath(host)
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
		c.base = "http://docker"
	case "tcp", "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("docker host %q: no host:port", host)
		}
		c.base = "http://" + u.Host
		if tlsCfg != nil || u.Scheme == "https" {
			tr.TLSClientConfig = tlsCfg
			c.base = "https://" + u.Host
		}
	default:
		return nil, errNotProbed
	}
	return c, nil
}

// call makes one request and returns the response when its status is one of
// okStatus; the caller closes the body.
func (c *apiClient) call(ctx context.Context, method, path string, okStatus ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	for _, s := range okStatus {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	var apiErr struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(msg, &apiErr) == nil && apiErr.Message != "" {
		msg = []byte(apiErr.Message)
	}
	if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(path, "/containers/") {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchContainer, strings.TrimSpace(string(msg)))
	}
	return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
}

// ping is GET /_ping; it returns the engine's Server header.
func (c *apiClient) ping(ctx context.Context) (string, error) {
	resp, err := c.call(ctx, http.MethodGet, "/_ping", http.StatusOK)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64))
	return resp.Header.Get("Server"), nil
}

// ContainerInfo is what this package needs to know of a container.
type ContainerInfo struct {
	ID      string
	Running bool
	Image   string
	Labels  map[string]string
}

// inspect is GET /containers/{id}/json.
func (c *apiClient) inspect(ctx context.Context, id string) (ContainerInfo, error) {
	resp, err := c.call(ctx, http.MethodGet, "/containers/"+url.PathEscape(id)+"/json", http.StatusOK)
	if err != nil {
		return ContainerInfo{}, err
	}
	defer resp.Body.Close()
	var body struct {
		ID     string `json:"Id"`
		State  struct{ Running bool }
		Config struct {
			Image  string
			Labels map[string]string
		}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&body); err != nil {
		return ContainerInfo{}, fmt.Errorf("inspect container %s: %w", id, err)
	}
	return ContainerInfo{ID: body.ID, Running: body.State.Running, Image: body.Config.Image, Labels: body.Config.Labels}, nil
}

// list is GET /containers/json?all=1 filtered by a label ("key=value").
func (c *apiClient) list(ctx context.Context, label string) ([]ContainerInfo, error) {
	filters, _ := json.Marshal(map[string][]string{"label": {label}})
	resp, err := c.call(ctx, http.MethodGet, "/containers/json?all=1&filters="+url.QueryEscape(string(filters)), http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body []struct {
		ID     string `json:"Id"`
		Image  string
		State  string
		Labels map[string]string
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]ContainerInfo, 0, len(body))
	for _, b := range body {
		out = append(out, ContainerInfo{ID: b.ID, Running: b.State == "running", Image: b.Image, Labels: b.Labels})
	}
	return out, nil
}

// remove is DELETE /containers/{id}?force=1&v=1: the container is killed
// and removed with its anonymous volumes.
func (c *apiClient) remove(ctx context.Context, id string) error {
	resp, err := c.call(ctx, http.MethodDelete, "/containers/"+url.PathEscape(id)+"?force=1&v=1", http.StatusNoContent, http.StatusOK)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// DefaultAPITimeout bounds one Engine API call made by Engine's methods
// when the caller's context has no earlier deadline.
const DefaultAPITimeout = 30 * time.Second

func (e *Engine) apiCtx(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if e.api == nil {
		return nil, nil, fmt.Errorf("the Docker engine at %s cannot be reached by commsbench itself (only tcp:// and unix:// addresses are); remove the containers with 'docker rm -f'", e.Host)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultAPITimeout)
	return ctx, cancel, nil
}

// Inspect describes a container; ErrNoSuchContainer when it is gone.
func (e *Engine) Inspect(ctx context.Context, id string) (ContainerInfo, error) {
	ctx, cancel, err := e.apiCtx(ctx)
	if err != nil {
		return ContainerInfo{}, err
	}
	defer cancel()
	return e.api.inspect(ctx, id)
}

// List returns the containers, running or not, that carry a label
// ("key=value").
func (e *Engine) List(ctx context.Context, label string) ([]ContainerInfo, error) {
	ctx, cancel, err := e.apiCtx(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return e.api.list(ctx, label)
}

// Remove kills and removes a container; ErrNoSuchContainer when it was
// already gone.
func (e *Engine) Remove(ctx context.Context, id string) error {
	ctx, cancel, err := e.apiCtx(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return e.api.remove(ctx, id)
}

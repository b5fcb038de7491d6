package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/modules/kafka"
	"github.com/testcontainers/testcontainers-go/modules/rabbitmq"
)

// Broker is a broker running in a container.
type Broker struct {
	Kind  Kind
	Image string
	// ContainerID is the engine's id of the container.
	ContainerID string
	// AMQPURL is the RabbitMQ URL, with the image's default credentials
	// (queue only). Print it for the user; store Address instead.
	AMQPURL string
	// Brokers are the Kafka bootstrap addresses (event only).
	Brokers []string
	// Version is what the broker reports: RabbitMQ's server version, or the
	// version Kafka logs at start-up (e.g. "7.9.0-ccs" on a Confluent image).
	// Empty when it could not be read.
	Version string
	// StartupS is how long the start took, image pull included.
	StartupS float64

	engine *Engine
	ctr    testcontainers.Container
	once   sync.Once
	err    error
}

// Address is where clients connect, without the password.
func (b *Broker) Address() string {
	if b.Kind == Event {
		return strings.Join(b.Brokers, ",")
	}
	return redactURL(b.AMQPURL)
}

// redactURL hides the password of a URL.
func redactURL(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if colon := strings.Index(userinfo, ":"); colon >= 0 {
		return s[:scheme+3] + userinfo[:colon] + ":xxxxx" + s[at:]
	}
	return s
}

// Start starts the broker of spec on eng (from CheckEngine) and waits until
// it accepts clients. On error nothing is left running.
//
// testcontainers' own engine check runs first, in a goroutine bounded by
// DefaultCheckTimeout: if it hangs there, the goroutine stays blocked (the
// library offers no way to stop it) and the process should exit.
func Start(ctx context.Context, eng *Engine, spec Spec) (*Broker, error) {
	if eng == nil {
		return nil, errors.New("containers: Start needs the engine found by CheckEngine")
	}
	if err := CheckImage(spec.Kind, spec.image()); err != nil {
		return nil, err
	}
	if err := libraryCheck(ctx, eng, DefaultCheckTimeout); err != nil {
		return nil, err
	}
	timeout := spec.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	startCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	image := spec.image()
	labels := map[string]string{LabelBroker: string(spec.Kind)}
	maps.Copy(labels, spec.Labels)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(discardLogger{}),
		testcontainers.WithLabels(labels),
	}
	spec.progress("starting %s in a Docker container (%s; the first start pulls the image)…", spec.Kind.Title(), image)
	began := time.Now()
	b := &Broker{Kind: spec.Kind, Image: image, engine: eng}
	var err error
	switch spec.Kind {
	case Queue:
		var c *rabbitmq.RabbitMQContainer
		c, err = rabbitmq.Run(startCtx, image, append(opts,
			rabbitmq.WithAdminUsername(QueueUser), rabbitmq.WithAdminPassword(QueuePassword))...)
		if c != nil {
			b.ctr = c
			if err == nil {
				var u string
				if u, err = c.AmqpURL(startCtx); err == nil {
					b.AMQPURL = u + "/" // the default virtual host
				}
			}
		}
	case Event:
		var c *kafka.KafkaContainer
		c, err = kafka.Run(startCtx, image, append(opts, kafka.WithClusterID("commsbench"))...)
		if c != nil {
			b.ctr = c
			if err == nil {
				b.Brokers, err = c.Brokers(startCtx)
			}
		}
	default:
		return nil, fmt.Errorf("containers: unknown broker kind %q", spec.Kind)
	}
	if b.ctr != nil {
		b.ContainerID = b.ctr.GetContainerID()
	}
	if err != nil {
		rerr := b.Remove(context.WithoutCancel(ctx))
		return nil, errors.Join(startError(ctx, startCtx, spec.Kind, image, timeout, err), rerr)
	}
	b.Version = b.readVersion(startCtx)
	b.StartupS = time.Since(began).Seconds()
	spec.progress("%s ready at %s after %.1fs", strings.TrimSpace(spec.Kind.Title()+" "+b.Version), b.Address(), b.StartupS)
	return b, nil
}

// startError explains a failed start.
func startError(ctx, startCtx context.Context, kind Kind, image string, timeout time.Duration, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted while starting the %s container (%s); it was removed", kind.Title(), image)
	case startCtx.Err() != nil:
		return fmt.Errorf("the %s container (%s) was not ready within %v (pulling a large image on a slow network can take that long; pull it first with 'docker pull %s'): %w", kind.Title(), image, timeout, image, err)
	}
	if strings.Contains(err.Error(), "reaper") {
		return fmt.Errorf("start the %s container (%s): testcontainers' reaper container (Ryuk) failed: %w (where it cannot run, e.g. some rootless or remote engines, set TESTCONTAINERS_RYUK_DISABLED=true; commsbench removes its containers itself)", kind.Title(), image, err)
	}
	return fmt.Errorf("start the %s container (%s): %w (check that the image exists and can be pulled, or pass another with --image)", kind.Title(), image, err)
}

// readVersion asks the broker its version, bounded; "" if it cannot tell.
func (b *Broker) readVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch b.Kind {
	case Queue:
		conn, err := amqp.DialConfig(b.AMQPURL, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
		if err != nil {
			return ""
		}
		defer conn.Close()
		v, _ := conn.Properties["version"].(string)
		return v
	case Event:
		// Kafka logs its version as it starts, shortly before or after it
		// reports RUNNING; look a few times.
		for {
			if rc, err := b.ctr.Logs(ctx); err == nil {
				logs, _ := io.ReadAll(io.LimitReader(rc, 16<<20))
				rc.Close()
				if v := kafkaVersionFromLogs(string(logs)); v != "" {
					return v
				}
			}
			select {
			case <-ctx.Done():
				return ""
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return ""
}

// Remove removes the container, bounded by DefaultRemoveTimeout (or ctx's
// earlier deadline). It does the work once; later calls return the first
// result.
func (b *Broker) Remove(ctx context.Context) error {
	b.once.Do(func() {
		if b.ctr == nil {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, DefaultRemoveTimeout)
		defer cancel()
		// A benchmark broker needs no graceful stop.
		err := b.ctr.Terminate(ctx, testcontainers.StopTimeout(time.Second))
		if err != nil && b.engine != nil && b.engine.api != nil && b.ContainerID != "" {
			// The engine API directly, in case testcontainers' client gave up.
			if rerr := b.engine.Remove(ctx, b.ContainerID); rerr == nil || errors.Is(rerr, ErrNoSuchContainer) {
				err = nil
			}
		}
		if err != nil {
			b.err = fmt.Errorf("remove the %s container %.12s: %w (remove it with 'docker rm -f %.12s')", b.Kind.Title(), b.ContainerID, err, b.ContainerID)
		}
	})
	return b.err
}

// libraryCheck runs testcontainers' own engine discovery and health check
// in a goroutine and waits for it at most timeout. Discovery happens once per
// process inside testcontainers and does not heed contexts, so a hang there
// leaves the goroutine blocked; the caller should give up and exit.
func libraryCheck(ctx context.Context, eng *Engine, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		p, err := testcontainers.ProviderDefault.GetProvider(testcontainers.WithLogger(discardLogger{}))
		if err != nil {
			done <- err
			return
		}
		done <- p.Health(ctx) // Health closes the provider
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("testcontainers could not use the Docker engine (found at %s, from %s): %w", eng.Host, eng.Source, err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("testcontainers did not reach the Docker engine within %v (found at %s, from %s); check DOCKER_HOST and ~/%s", timeout, eng.Host, eng.Source, propertiesFile)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetLibraryLog sends testcontainers' process-wide log lines (its banner
// describing the engine, its reaper's messages) to w. testcontainers keeps
// that logger in a package variable, so this changes it for the whole
// process: call it once, before the first Start.
func SetLibraryLog(w io.Writer) {
	tclog.SetDefault(log.New(w, "", log.LstdFlags))
}

// KeepAfterExit lets the containers started from now on outlive the
// process. It turns off testcontainers' reaper (Ryuk), which otherwise
// removes them about ten seconds after the process ends. testcontainers
// reads that setting from the environment once per process, so this sets
// TESTCONTAINERS_RYUK_DISABLED=true for the whole process and must be
// called before the first Start.
func KeepAfterExit() error {
	return os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
}

// discardLogger drops testcontainers' progress lines: the commands print
// their own, shorter ones.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// ClientAddress is what a run's client connects to: the AMQP URL of a
// RabbitMQ, the bootstrap list (host:port,host:port) of a Kafka.
func (b *Broker) ClientAddress() string {
	if b.Kind == Event {
		return strings.Join(b.Brokers, ",")
	}
	return b.AMQPURL
}

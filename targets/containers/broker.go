package containers

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind is the broker a container runs.
type Kind string

// The kinds of broker, named after the transport that uses them.
const (
	Queue Kind = "queue" // RabbitMQ
	Event Kind = "event" // Kafka, KRaft mode
)

// Default images. RabbitMQ's official image with the management plugin;
// for Kafka, Confluent's single-node KRaft image, the one testcontainers'
// kafka module is made for (its start script needs a Confluent image).
const (
	DefaultQueueImage = "rabbitmq:4.1-management-alpine"
	DefaultEventImage = "confluentinc/confluent-local:7.9.0"
)

// The RabbitMQ credentials of the container: the image's (and
// testcontainers' module's) defaults.
const (
	QueueUser     = "guest"
	QueuePassword = "guest"
)

// Labels put on every container started here, so that "brokers down" and
// the tests can find them.
const (
	LabelBroker = "commsbench.broker" // the Kind
	LabelKept   = "commsbench.kept"   // "true" on containers of "brokers up"
	LabelRun    = "commsbench.run"    // the run id of a "run --containers"
)

// Timeouts of a container's life.
const (
	// DefaultStartTimeout bounds a start, image pull included.
	DefaultStartTimeout = 5 * time.Minute
	// DefaultRemoveTimeout bounds the removal of a container.
	DefaultRemoveTimeout = 30 * time.Second
)

// ParseKind reads "queue" or "event" (also "rabbitmq", "amqp", "kafka").
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "queue", "rabbitmq", "amqp":
		return Queue, nil
	case "event", "kafka":
		return Event, nil
	}
	return "", fmt.Errorf("unknown broker %q: choose queue (RabbitMQ) or event (Kafka)", s)
}

// BrokerName is the result file's target.broker of a kind.
func (k Kind) BrokerName() string {
	switch k {
	case Queue:
		return "rabbitmq"
	case Event:
		return "kafka"
	}
	return string(k)
}

// Title is the broker's name in sentences.
func (k Kind) Title() string {
	switch k {
	case Queue:
		return "RabbitMQ"
	case Event:
		return "Kafka"
	}
	return string(k)
}

// DefaultImage is the image used when none is given.
// A kind this package does not start has none: Start refuses it.
func (k Kind) DefaultImage() string {
	switch k {
	case Queue:
		return DefaultQueueImage
	case Event:
		return DefaultEventImage
	}
	return ""
}

// CheckImage refuses images known not to work for a kind, with the reason.
func CheckImage(k Kind, image string) error {
	if strings.TrimSpace(image) == "" {
		return fmt.Errorf("empty image name")
	}
	if k != Event {
		return nil
	}
	repo := imageRepo(strings.ToLower(image))
	if strings.HasSuffix(repo, "apache/kafka") || strings.HasSuffix(repo, "apache/kafka-native") || strings.HasSuffix(repo, "bitnami/kafka") {
		return fmt.Errorf("image %q: the Kafka container is started the way testcontainers' kafka module does it, with Confluent's start scripts; use a Confluent image such as %s (confluentinc/confluent-local or confluentinc/cp-kafka, 7.4 or later)", image, DefaultEventImage)
	}
	return nil
}

// Spec is the broker container to start.
type Spec struct {
	Kind Kind
	// Image overrides Kind.DefaultImage().
	Image string
	// Labels are added to the container's labels.
	Labels map[string]string
	// StartTimeout bounds the start, image pull included; 0 means
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// Progress, if set, receives a few lines about the start, for the user.
	Progress func(string)
}

func (s Spec) image() string {
	if s.Image != "" {
		return s.Image
	}
	return s.Kind.DefaultImage()
}

func (s Spec) progress(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}

// kafkaVersionRE finds the version Kafka logs at start-up
// ("Kafka version: 7.9.0-ccs" on a Confluent image).
var kafkaVersionRE = regexp.MustCompile(`Kafka version: ([0-9][0-9A-Za-z.\-_]*)`)

// kafkaVersionFromLogs returns the version Kafka logged, or "".
func kafkaVersionFromLogs(logs string) string {
	m := kafkaVersionRE.FindStringSubmatch(logs)
	if m == nil {
		return ""
	}
	return m[1]
}

// imageRepo is an image reference without its tag and digest.
func imageRepo(image string) string {
	if at := strings.Index(image, "@"); at >= 0 {
		image = image[:at]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		image = image[:colon]
	}
	return image
}

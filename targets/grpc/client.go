package grpctarget

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/commsbench/commsbench/bench"
	"github.com/commsbench/commsbench/bench/fault"
	"github.com/commsbench/commsbench/results"
	"github.com/commsbench/commsbench/targets/grpc/echopb"
	"github.com/commsbench/commsbench/targets/messages"
	"github.com/commsbench/commsbench/targets/transport"
)

// Modes of a gRPC run.
const (
	// ModeUnary makes one Echo call per operation.
	ModeUnary = "unary"
	// ModeStream sends each operation as one message on a bidirectional
	// EchoStream, one stream per connection, shared by its workers.
	ModeStream = "stream"
)

// Config is a gRPC run's transport settings.
type Config struct {
	// Target is the host:port of a running echo target (or a gRPC target
	// URI such as dns:///host:port or unix:///path); empty starts an
	// embedded one on 127.0.0.1.
	Target string
	// Connections is the number of client connections (each its own HTTP/2
	// connection) that workers are spread over. Default 1.
	Connections int
	// Mode is ModeUnary (the default) or ModeStream.
	Mode string
	// PayloadBytes is the size of each message's payload.
	PayloadBytes int
	// Payload, when set, is sent as every message's payload instead of
	// random bytes (a template that looks like the real messages); it is
	// then not stamped with the operation's sequence number.
	Payload []byte
	// DialTimeout bounds connecting and the pre-flight echo. Default 5s.
	DialTimeout time.Duration
	// NetProxy puts a network proxy between the client and the embedded
	// target, for network faults.
	NetProxy bool
	// Encoding is messages.Raw (the echo, the default) or a typed
	// encoding: each operation is then one Orders/PlaceOrder call with an
	// order of Items lines, whose confirmation is checked (unary only).
	Encoding messages.Encoding
	Items    int
	// Call, when set, calls a method of the user's own service instead
	// of Echo (dynamic.go); unary only.
	Call *Call
}

// Workload drives Echo calls or EchoStream messages.
type Workload struct {
	cfg       Config
	srv       *Server
	proxy     *transport.NetProxy
	serveDone chan error
	address   string
	conns     []*grpc.ClientConn
	streams   []*sharedStream // one per connection in stream mode

	// ctx outlives every operation and bounds the streams; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	clocks messages.Clocks
	call   *callState // with Config.Call, once Start found the method
}

var (
	_ bench.Workload = (*Workload)(nil)
	_ bench.Injector = (*Workload)(nil)
	_ bench.Retrier  = (*Workload)(nil)
)

// NewWorkload returns the gRPC workload for cfg.
func NewWorkload(cfg Config) (*Workload, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 1
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeUnary
	case ModeUnary, ModeStream:
	default:
		return nil, fmt.Errorf("grpc: mode %q: choose %s or %s", cfg.Mode, ModeUnary, ModeStream)
	}
	if cfg.Encoding == "" {
		cfg.Encoding = messages.Raw
	}
	if cfg.Encoding.Typed() && cfg.Mode != ModeUnary {
		return nil, fmt.Errorf("grpc: --encoding %s sends unary PlaceOrder calls; --grpc-mode %s echoes bytes only with --encoding raw", cfg.Encoding, cfg.Mode)
	}
	if cfg.Call != nil && (cfg.Mode != ModeUnary || cfg.Encoding.Typed()) {
		return nil, fmt.Errorf("grpc: --call makes unary calls of its own messages: drop --grpc-mode and --encoding")
	}
	if cfg.PayloadBytes < 0 || cfg.PayloadBytes > MaxMessage-1024 {
		return nil, fmt.Errorf("grpc: payload of %d bytes: must be between 0 and 16 MiB", cfg.PayloadBytes)
	}
	return &Workload{cfg: cfg}, nil
}

// TargetAddress checks a --target value: host:port, or a gRPC target URI
// with the dns, unix or passthrough scheme.
func TargetAddress(target string) (string, error) {
	t := strings.TrimSpace(target)
	for _, scheme := range []string{"dns:", "unix:", "unix-abstract:", "passthrough:"} {
		if strings.HasPrefix(t, scheme) {
			return t, nil
		}
	}
	if strings.Contains(t, "://") {
		return "", fmt.Errorf("grpc: target %q: give host:port (the echo target speaks gRPC without TLS), or a dns:/// or unix:// target", target)
	}
	host, port, err := net.SplitHostPort(t)
	if err != nil || port == "" {
		return "", fmt.Errorf("grpc: target %q is not host:port", target)
	}
	if host == "" {
		t = net.JoinHostPort("127.0.0.1", port)
	}
	return t, nil
}

// Start starts the embedded target or checks the external one, opens the
// connections, and sends one echo on each so that a run never starts
// against a target that cannot answer.
func (w *Workload) Start(ctx context.Context) (results.Target, error) {
	kind := results.TargetExternal
	if w.cfg.Target == "" {
		srv, err := Listen("127.0.0.1:0")
		if err != nil {
			return results.Target{}, err
		}
		w.srv = srv
		w.serveDone = make(chan error, 1)
		go func() { w.serveDone <- srv.Serve() }()
		w.address = srv.Addr()
		kind = results.TargetEmbedded
		if w.cfg.NetProxy {
			p, err := transport.StartNetProxy(srv.Addr())
			if err != nil {
				return results.Target{}, fmt.Errorf("grpc: %w", err)
			}
			w.proxy, w.address = p, p.Addr()
		}
	} else {
		addr, err := TargetAddress(w.cfg.Target)
		if err != nil {
			return results.Target{}, err
		}
		w.address = addr
	}
	if err := w.connect(ctx); err != nil {
		return results.Target{}, err
	}
	preflight := w.preflight
	if w.cfg.Call != nil {
		preflight = w.prepareCall
	}
	if err := preflight(ctx); err != nil {
		return results.Target{}, err
	}
	return results.Target{Kind: kind, Address: w.address}, nil
}

// connect makes the client connections (lazily: gRPC dials on first use)
// and, in stream mode, their shared streams.
func (w *Workload) connect(ctx context.Context) error {
	w.ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range w.cfg.Connections {
		cc, err := grpc.NewClient(w.address, dialOptions(w.cfg)...)
		if err != nil {
			return fmt.Errorf("grpc: target %q: %w", w.address, err)
		}
		w.conns = append(w.conns, cc)
		if w.cfg.Mode == ModeStream {
			w.streams = append(w.streams, newSharedStream(w.ctx, cc, w.content()))
		}
	}
	return nil
}

func dialOptions(cfg Config) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessage), grpc.MaxCallSendMsgSize(MaxMessage)),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: cfg.DialTimeout}),
		grpc.WithInitialWindowSize(StreamWindow),
		grpc.WithInitialConnWindowSize(ConnWindow),
	}
}

// preflight sends one echo on every connection, bounded by DialTimeout, so
// that an unreachable target or one that does not honour the echo
// contract fails the run at once with an error that says what to do.
func (w *Workload) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	for i := range w.conns {
		if err := w.newClient(i).Do(ctx, bench.Op{Seq: -1, Worker: i}); err != nil {
			if w.cfg.Encoding.Typed() {
				if oerr := ordersPreflightError(w.address, w.cfg.Encoding, err); oerr != nil {
					return oerr
				}
			}
			return w.preflightError(err)
		}
	}
	return nil
}

func (w *Workload) preflightError(err error) error {
	method := "Echo"
	if w.cfg.Mode == ModeStream {
		method = "EchoStream"
	}
	code := status.Code(err)
	switch {
	case errors.Is(err, bench.ErrEchoMismatch):
		return fmt.Errorf("grpc: the target at %s does not honour the echo contract (%s/%s must answer with the request's payload): %v", w.address, ServiceName, method, err)
	case code == codes.Unimplemented && w.cfg.Mode == ModeStream:
		return fmt.Errorf("grpc: the target at %s does not implement %s/%s (see targets/grpc/echopb/echo.proto); try --grpc-mode unary: %s", w.address, ServiceName, method, statusMessage(err))
	case code == codes.Unimplemented:
		return fmt.Errorf("grpc: the target at %s does not implement %s/%s (see targets/grpc/echopb/echo.proto): %s", w.address, ServiceName, method, statusMessage(err))
	case w.cfg.Target != "" && (code == codes.Unavailable || bench.Classify(err) == bench.ClassTimeout):
		return fmt.Errorf("grpc: cannot reach the target at %s within %v: %s; start one with 'commsbench serve grpc', or drop --target to use an embedded one", w.address, w.cfg.DialTimeout, statusMessage(err))
	case w.cfg.Target != "":
		return fmt.Errorf("grpc: the target at %s failed the first %s call: %s", w.address, method, statusMessage(err))
	}
	return fmt.Errorf("grpc: embedded target: %w", err)
}

// statusMessage is err without gRPC's "rpc error: code = … desc =" prefix.
func statusMessage(err error) string {
	if s, ok := status.FromError(err); ok {
		return fmt.Sprintf("%s (%s)", s.Message(), s.Code())
	}
	return err.Error()
}

// NewClient returns a worker's client. Worker i uses connection i mod
// Connections; in stream mode it shares that connection's stream.
func (w *Workload) NewClient(_ context.Context, worker int) (bench.Client, error) {
	if w.call != nil {
		return w.newCallClient(worker), nil
	}
	if w.cfg.Encoding.Typed() {
		return w.newOrderClient(w.conns[worker%len(w.conns)], w.clocks.New()), nil
	}
	return w.newClient(worker), nil
}

func (w *Workload) newClient(worker int) bench.Client {
	i := worker % len(w.conns)
	if w.cfg.Encoding.Typed() {
		// The pre-flight's client: its time is not the run's.
		return w.newOrderClient(w.conns[i], new(messages.CodecClock))
	}
	if w.cfg.Mode == ModeStream {
		return &streamClient{s: w.streams[i]}
	}
	content := w.content()
	payload := content.make()
	return &unaryClient{
		cc:      w.conns[i],
		content: content,
		payload: payload,
		req:     &echopb.EchoRequest{Payload: payload},
		resp:    new(echopb.EchoResponse),
	}
}

// Inject applies a fault to the embedded target: down stops it and cuts
// its connections until the fault ends, slow delays every call (and every
// message of a stream).
func (w *Workload) Inject(_ context.Context, f fault.Fault) (func() error, error) {
	if w.srv == nil {
		return transport.InjectTarget("grpc", nil, nil, f)
	}
	return transport.InjectTarget("grpc", w.srv, w.proxy, f)
}

// Finish adds the client's encode and decode time of typed runs; the
// engine's figures are the gRPC figures.
func (w *Workload) Finish(_ context.Context, r *results.Result) error {
	if us, ok := w.clocks.PerOpUS(); ok {
		r.SetClientCodecPerOpUS(us)
	}
	if w.call != nil {
		w.call.finish(r)
	}
	return nil
}

// Close ends the streams, closes the connections and stops the embedded
// target.
func (w *Workload) Close() error {
	if w.cancel != nil {
		w.cancel()
	}
	var errs []error
	for _, s := range w.streams {
		s.wait()
	}
	for _, cc := range w.conns {
		if err := cc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("grpc: close connection: %w", err))
		}
	}
	if w.proxy != nil {
		w.proxy.Close()
		w.proxy = nil
	}
	if w.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, w.srv.Shutdown(ctx), <-w.serveDone)
	}
	// A second Close has nothing left to do.
	w.streams, w.conns, w.srv = nil, nil, nil
	return errors.Join(errs...)
}

// payloadContent makes the payloads: random bytes stamped with each
// operation's sequence number, or the user's template sent as it is.
type payloadContent struct {
	size     int
	template []byte
}

func (w *Workload) content() payloadContent {
	if w.cfg.Payload != nil {
		return payloadContent{size: len(w.cfg.Payload), template: w.cfg.Payload}
	}
	return payloadContent{size: w.cfg.PayloadBytes}
}

func (p payloadContent) make() []byte {
	if p.template != nil {
		return bytes.Clone(p.template)
	}
	return randomPayload(p.size)
}

func (p payloadContent) stamp(b []byte, seq int64) {
	if p.template == nil {
		stamp(b, seq)
	}
}

func randomPayload(n int) []byte {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return p
}

// stamp writes the operation's sequence number into the payload's first
// bytes, so that an answer to another operation cannot pass as the echo.
func stamp(p []byte, seq int64) {
	for i := 0; i < len(p) && i < 8; i++ {
		p[i] = byte(uint64(seq) >> (8 * i))
	}
}

// checkEcho compares the echo with what was sent.
func checkEcho(sent, got []byte) error {
	if bytes.Equal(sent, got) {
		return nil
	}
	return fmt.Errorf("%w (%d bytes back for %d sent)", bench.ErrEchoMismatch, len(got), len(sent))
}

// unaryClient makes one Echo call per operation. Request and response
// messages are reused, so a call allocates only inside gRPC.
type unaryClient struct {
	cc      *grpc.ClientConn
	content payloadContent
	payload []byte
	req     *echopb.EchoRequest
	resp    *echopb.EchoResponse
}

func (c *unaryClient) Do(ctx context.Context, op bench.Op) error {
	c.content.stamp(c.payload, op.Seq)
	if err := c.cc.Invoke(ctx, echopb.Echo_Echo_FullMethodName, c.req, c.resp); err != nil {
		return classify(err)
	}
	return checkEcho(c.payload, c.resp.Payload)
}

// Retryable says which failed calls --retries sends again: UNAVAILABLE,
// which gRPC defines as the status a client may retry (the server did not
// take the call: it was down, shutting down, or the connection broke),
// and the connection failures the engine knows (bench.ConnectionRetryable),
// which UNAVAILABLE calls whose dial was refused are classed as. Every
// other status is the server's answer, and a retry would get it again.
func (w *Workload) Retryable(class string) bool {
	return class == statusClass(codes.Unavailable) || bench.ConnectionRetryable(class)
}

// classify gives a gRPC status error its class ("grpc_unavailable", …).
// Deadline and cancellation map to the engine's own classes.
func classify(err error) error {
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	if s.Code() == codes.Unavailable {
		// A call on a connection that could not be made fails with the
		// dial error in its message: class it by that error, so that it
		// counts as never having reached the target.
		if c := bench.ClassOfMessage(s.Message()); c != "" {
			return bench.WithClass(c, err)
		}
	}
	return bench.WithClass(statusClass(s.Code()), err)
}

// statusClass names the error class of a gRPC status code.
func statusClass(c codes.Code) string {
	switch c {
	case codes.DeadlineExceeded:
		return bench.ClassTimeout
	case codes.Canceled:
		return bench.ClassCanceled
	case codes.Unknown:
		return "grpc_unknown"
	case codes.InvalidArgument:
		return "grpc_invalid_argument"
	case codes.NotFound:
		return "grpc_not_found"
	case codes.AlreadyExists:
		return "grpc_already_exists"
	case codes.PermissionDenied:
		return "grpc_permission_denied"
	case codes.ResourceExhausted:
		return "grpc_resource_exhausted"
	case codes.FailedPrecondition:
		return "grpc_failed_precondition"
	case codes.Aborted:
		return "grpc_aborted"
	case codes.OutOfRange:
		return "grpc_out_of_range"
	case codes.Unimplemented:
		return "grpc_unimplemented"
	case codes.Internal:
		return "grpc_internal"
	case codes.Unavailable:
		return "grpc_unavailable"
	case codes.DataLoss:
		return "grpc_data_loss"
	case codes.Unauthenticated:
		return "grpc_unauthenticated"
	}
	return fmt.Sprintf("grpc_code_%d", uint32(c))
}

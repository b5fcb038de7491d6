package nats

import (
	"bytes"
	"context"
	"errors"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// republishAfter is how long a stream publish waits for its PubAck, after
// the connection came back since it left, before it is published again.
const republishAfter = time.Second

// publishStreamReliably publishes to the stream and waits for the PubAck
// across the server's absence (broker faults): a publish that failed with
// the connection, or that got no PubAck while the connection broke and came
// back, is published again, until the operation's deadline. Only the
// stream's refusal (a JetStream API error) ends it early.
func (c *client) publishStreamReliably(ctx context.Context, p *publisher, h Header) error {
	w := c.w
	ctx, cancel, own := w.bounded(ctx)
	defer cancel()
	body := bytes.Clone(c.body)
	var fut jetstream.PubAckFuture
	seq, err := p.send(h, body, func() (err error) {
		fut, err = p.js.PublishMsgAsync(&gonats.Msg{Subject: w.cfg.Subject, Data: body})
		return err
	})
	if err != nil {
		return w.opError("publish to the stream", err)
	}
	gen := w.faults.reconnects.Load()
	t := time.NewTimer(republishAfter)
	defer t.Stop()
	retry := false
	for {
		if retry && p.nc.IsConnected() {
			gen = w.faults.reconnects.Load()
			if next, err := p.js.PublishMsgAsync(&gonats.Msg{Subject: w.cfg.Subject, Data: body}); err == nil {
				fut, retry = next, false
				w.faults.republished.Add(1)
				t.Reset(republishAfter)
			}
		}
		var pause <-chan time.Time
		if retry {
			// Wait for the connection before publishing again.
			pause = time.After(reconnectMin)
		}
		select {
		case <-fut.Ok():
			p.log.answer(seq, true)
			return nil
		case err := <-fut.Err():
			var api *jetstream.APIError
			if errors.As(err, &api) {
				p.log.answer(seq, false)
				return w.opError("publish to the stream", err)
			}
			retry = true
		case <-t.C:
			// The client library sends what it buffered while disconnected
			// as soon as it reconnects: only a publish still unanswered a
			// while after the reconnection is published again.
			since := time.Since(time.Unix(0, w.faults.reconnectedAt.Load()))
			retry = retry || (w.faults.reconnects.Load() != gen && since >= republishAfter)
			t.Reset(republishAfter)
		case <-pause:
		case <-ctx.Done():
			go w.lateAnswer(p, seq, fut)
			if own && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return w.opError("publish to the stream", gonats.ErrTimeout)
			}
			return ctx.Err()
		}
	}
}

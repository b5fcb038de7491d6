// Command amqp-baseline is the control of scripts/compare-queue.sh: the
// plainest client of the same AMQP library that measures what
// 'commsbench run queue' measures in its closed loop. One goroutine
// publishes 1000-byte messages with publisher confirms, keeping at most
// -inflight unconfirmed; one consumer on its own connection acknowledges
// each message and times it from the send time written in its body.
//
// It has none of commsbench's accounting, histograms or pacing, so it
// shows what the broker and the machine allow at that moment: a
// commsbench figure far below it would be commsbench's cost, a figure
// near it the machine's limit. It prints one JSON line.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	url := flag.String("url", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
	inflight := flag.Int("inflight", 100, "most unconfirmed messages")
	duration := flag.Duration("duration", 10*time.Second, "how long to publish")
	payload := flag.Int("payload", 1000, "message size in bytes (at least 8)")
	prefetch := flag.Int("prefetch", 500, "consumer prefetch")
	flag.Parse()
	if err := run(*url, *inflight, *duration, max(*payload, 8), *prefetch); err != nil {
		fmt.Fprintln(os.Stderr, "amqp-baseline:", err)
		os.Exit(1)
	}
}

func run(url string, inflight int, duration time.Duration, payload, prefetch int) error {
	dial := amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)}
	pubConn, err := amqp.DialConfig(url, dial)
	if err != nil {
		return err
	}
	defer pubConn.Close()
	subConn, err := amqp.DialConfig(url, dial)
	if err != nil {
		return err
	}
	defer subConn.Close()
	pub, err := pubConn.Channel()
	if err != nil {
		return err
	}
	sub, err := subConn.Channel()
	if err != nil {
		return err
	}
	q := fmt.Sprintf("commsbench.baseline-%d", time.Now().UnixNano())
	if _, err := pub.QueueDeclare(q, false, false, false, false, nil); err != nil {
		return err
	}
	defer pub.QueueDelete(q, false, false, false)
	if err := sub.Qos(prefetch, 0, false); err != nil {
		return err
	}
	deliveries, err := sub.Consume(q, "baseline", false, false, false, false, nil)
	if err != nil {
		return err
	}

	start := time.Now()
	end := start.Add(duration)
	// The consumer stops at the first message sent after the end, or when
	// the drain bound passes.
	type consumed struct {
		latencies []int64
		last      time.Time
	}
	result := make(chan consumed, 1)
	go func() {
		var c consumed
		stop := time.After(duration + 10*time.Second)
		for {
			select {
			case d, ok := <-deliveries:
				if !ok {
					result <- c
					return
				}
				now := time.Now()
				sent := int64(binary.BigEndian.Uint64(d.Body))
				_ = d.Ack(false)
				if sent < 0 {
					result <- c
					return
				}
				c.latencies = append(c.latencies, now.UnixNano()-sent)
				c.last = now
			case <-stop:
				result <- c
				return
			}
		}
	}()

	if err := pub.Confirm(false); err != nil {
		return err
	}
	confirms := pub.NotifyPublish(make(chan amqp.Confirmation, inflight+1))
	slots := make(chan struct{}, inflight)
	go func() {
		for range confirms {
			<-slots
		}
	}()
	body := make([]byte, payload)
	sent := 0
	for time.Now().Before(end) {
		slots <- struct{}{}
		binary.BigEndian.PutUint64(body, uint64(time.Now().UnixNano()))
		if err := pub.Publish("", q, false, false, amqp.Publishing{Body: body}); err != nil {
			return err
		}
		sent++
	}
	published := time.Since(start)
	// The end marker.
	binary.BigEndian.PutUint64(body, 1<<63)
	if err := pub.Publish("", q, false, false, amqp.Publishing{Body: body}); err != nil {
		return err
	}
	c := <-result
	_ = sub.Cancel("baseline", false)

	sort.Slice(c.latencies, func(i, j int) bool { return c.latencies[i] < c.latencies[j] })
	pct := func(p float64) float64 {
		if len(c.latencies) == 0 {
			return 0
		}
		return float64(c.latencies[int(p/100*float64(len(c.latencies)-1))]) / 1e6
	}
	window := max(published, c.last.Sub(start))
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"inflight":        inflight,
		"published_per_s": float64(sent) / published.Seconds(),
		"consumed_per_s":  float64(len(c.latencies)) / window.Seconds(),
		"received":        len(c.latencies),
		"sent":            sent,
		"e2e_p50_ms":      pct(50),
		"e2e_p99_ms":      pct(99),
	})
}

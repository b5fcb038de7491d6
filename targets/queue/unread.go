package queue

import (
	"fmt"
	"time"

	"github.com/commsbench/commsbench/results"
)

// depthSettle bounds how long queueDepth waits for the count of ready
// messages to stop changing: the broker requeues the messages a closed
// consumer channel held unacknowledged shortly after the close.
const depthSettle = time.Second

// queueDepth asks the broker how many messages are ready on the run's
// queue (a passive declare), once the count is the same twice in a row.
// ok is false when the broker could not be asked.
func (w *Workload) queueDepth() (n int64, ok bool) {
	conn := w.openConn()
	if conn == nil {
		return 0, false
	}
	durable := w.cfg.Persistent || w.cfg.QueueType == QueueQuorum
	last := int64(-1)
	deadline := time.Now().Add(depthSettle)
	for {
		err := boundedCall(conn, w.cfg.DialTimeout, func() error {
			ch, err := conn.Channel()
			if err != nil {
				return err
			}
			defer ch.Close()
			q, err := ch.QueueDeclarePassive(w.queue, durable, false, false, false, queueArgs(w.cfg.QueueType))
			n = int64(q.Messages)
			return err
		})
		if err != nil {
			return 0, false
		}
		if n == last || !time.Now().Before(deadline) {
			return n, true
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
}

// splitUnread moves from Lost to Unread the confirmed messages that were
// still in the queue at the end (depth ready messages). A queue hands out
// the oldest first, so what remains is the newest: the measured messages,
// then the warm-up ones sent before them. Ready messages beyond both
// (unconfirmed ones, or others' on a shared queue) are no confirmed
// message of this run and change nothing.
func splitUnread(a *accounting, depth int64) {
	for _, d := range []*results.Delivery{&a.Measured, &a.Warmup} {
		unread := min(depth, d.Lost)
		d.Lost -= unread
		d.Unread = &unread
		depth -= unread
	}
}

// unreadNote says where the messages that had not arrived at the end went.
func unreadNote(d results.Delivery) string {
	if d.Unread == nil {
		return "the queue could not be counted, so confirmed messages that had not arrived count as lost, unconfirmed ones as outstanding"
	}
	return fmt.Sprintf("%d confirmed messages were still in the queue (unread: late, not lost), %d confirmed messages were neither received nor in the queue (lost), %d unconfirmed ones are outstanding", *d.Unread, d.Lost, d.Outstanding)
}

package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every message body starts with a fixed header that makes the accounting
// exact and the end-to-end latency measurable:
//
//	offset size
//	0      2    magic "CB"
//	2      1    header version (1)
//	3      1    flags: bit 0 warm-up, bit 1 request-reply
//	4      4    run tag: random per run, so that leftovers of another run are told apart
//	8      4    producer id
//	12     8    producer sequence number, from 0
//	20     8    intended send time, Unix nanoseconds
//
// Integers are big-endian. The rest of the body is payload. The AMQP
// timestamp property holds whole seconds only, hence the send time here.
const (
	// HeaderSize is the length of the header; message bodies are never shorter.
	HeaderSize    = 28
	headerVersion = 1

	flagWarmup = 1 << 0
	flagReply  = 1 << 1
)

var headerMagic = [2]byte{'C', 'B'}

// Header is what every message carries at the start of its body.
type Header struct {
	Run      uint32
	Producer uint32
	Seq      uint64
	// SentNS is the intended send time in Unix nanoseconds.
	SentNS int64
	// Warmup messages are delivered and accounted but kept out of latency.
	Warmup bool
	// Reply marks a request of the request-reply mode.
	Reply bool
}

// Errors of ParseHeader.
var (
	ErrShortMessage  = errors.New("message shorter than the commsbench header")
	ErrNotCommsbench = errors.New("message does not start with the commsbench header")
)

// Put writes h into the first HeaderSize bytes of b, which must be long enough.
func (h Header) Put(b []byte) {
	_ = b[HeaderSize-1]
	b[0], b[1], b[2] = headerMagic[0], headerMagic[1], headerVersion
	var flags byte
	if h.Warmup {
		flags |= flagWarmup
	}
	if h.Reply {
		flags |= flagReply
	}
	b[3] = flags
	binary.BigEndian.PutUint32(b[4:], h.Run)
	binary.BigEndian.PutUint32(b[8:], h.Producer)
	binary.BigEndian.PutUint64(b[12:], h.Seq)
	binary.BigEndian.PutUint64(b[20:], uint64(h.SentNS))
}

// putSeq rewrites only the sequence number of a header already in b.
func putSeq(b []byte, seq uint64) { binary.BigEndian.PutUint64(b[12:], seq) }

// ParseHeader reads the header at the start of a message body.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w (%d bytes)", ErrShortMessage, len(b))
	}
	if b[0] != headerMagic[0] || b[1] != headerMagic[1] {
		return Header{}, ErrNotCommsbench
	}
	if b[2] != headerVersion {
		return Header{}, fmt.Errorf("%w (header version %d, want %d)", ErrNotCommsbench, b[2], headerVersion)
	}
	return Header{
		Warmup:   b[3]&flagWarmup != 0,
		Reply:    b[3]&flagReply != 0,
		Run:      binary.BigEndian.Uint32(b[4:]),
		Producer: binary.BigEndian.Uint32(b[8:]),
		Seq:      binary.BigEndian.Uint64(b[12:]),
		SentNS:   int64(binary.BigEndian.Uint64(b[20:])),
	}, nil
}

// bodySize is the length of a message body for a payload size: the header
// always fits.
func bodySize(payload int) int { return max(payload, HeaderSize) }

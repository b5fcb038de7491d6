package nats

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every message starts with a fixed header that makes the accounting exact
// and the end-to-end latency measurable:
//
//	offset size
//	0      2    magic "CN"
//	2      1    header version (1)
//	3      1    flags: bit 0 warm-up
//	4      4    run tag: random per run, so that another run's messages on a shared subject are told apart
//	8      4    producer (publishing connection) id
//	12     8    producer sequence number, from 0
//	20     8    intended send time, Unix nanoseconds
//
// Integers are big-endian; the rest of the message is payload. The stamp
// is in the body rather than in NATS headers because headers cost every
// message a text block to write and parse, which nats bench does not pay.
const (
	// HeaderSize is the length of the header; messages are never shorter.
	HeaderSize    = 28
	headerVersion = 1

	flagWarmup = 1 << 0
)

var headerMagic = [2]byte{'C', 'N'}

// Header is what every message carries at its start.
type Header struct {
	Run      uint32
	Producer uint32
	Seq      uint64
	// SentNS is the intended send time in Unix nanoseconds.
	SentNS int64
	// Warmup messages are delivered and accounted but kept out of every figure.
	Warmup bool
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
	b[3] = 0
	if h.Warmup {
		b[3] = flagWarmup
	}
	binary.BigEndian.PutUint32(b[4:], h.Run)
	binary.BigEndian.PutUint32(b[8:], h.Producer)
	binary.BigEndian.PutUint64(b[12:], h.Seq)
	binary.BigEndian.PutUint64(b[20:], uint64(h.SentNS))
}

// ParseHeader reads the header at the start of a message.
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
		Run:      binary.BigEndian.Uint32(b[4:]),
		Producer: binary.BigEndian.Uint32(b[8:]),
		Seq:      binary.BigEndian.Uint64(b[12:]),
		SentNS:   int64(binary.BigEndian.Uint64(b[20:])),
	}, nil
}

// messageSize is the length of a message for a payload size: the header
// always fits.
func messageSize(payload int) int { return max(payload, HeaderSize) }

package event

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
)

// HeaderKey is the Kafka record header that carries a Stamp.
const HeaderKey = "commsbench"

// StampLen is the size of an encoded Stamp.
const StampLen = 26

// stampVersion is the first byte of an encoded Stamp. A reader refuses
// other versions rather than misread them.
const stampVersion = 1

// Stamp flags.
const (
	// FlagWarmup marks an event sent during the engine's warm-up: it is
	// delivered and counted for order, but kept out of every figure.
	FlagWarmup uint8 = 1 << 0
	// FlagProbe marks a join probe: one event per partition, sent before
	// measuring until every group has joined and reads every partition.
	FlagProbe uint8 = 1 << 1
)

// Stamp is what every event carries in its HeaderKey header, so that a
// subscriber can time it end to end and account for it exactly:
//
//	byte  0      version (1)
//	byte  1      flags (FlagWarmup, FlagProbe)
//	bytes 2–5    run tag: events of other runs sharing a topic are ignored
//	bytes 6–9    producer id
//	bytes 10–17  sequence number, per producer, from 0
//	bytes 18–25  intended send time, nanoseconds since the Unix epoch
//
// All integers are big-endian. A header rather than the first bytes of the
// value keeps the payload exactly --payload-size bytes and readable by any
// Kafka tool; Kafka's own record timestamp has only millisecond resolution.
type Stamp struct {
	Flags    uint8
	Run      uint32
	Producer uint32
	Seq      uint64
	SentNS   int64
}

// Put writes s into b, which must hold StampLen bytes.
func (s Stamp) Put(b []byte) {
	_ = b[StampLen-1]
	b[0] = stampVersion
	b[1] = s.Flags
	binary.BigEndian.PutUint32(b[2:], s.Run)
	binary.BigEndian.PutUint32(b[6:], s.Producer)
	binary.BigEndian.PutUint64(b[10:], s.Seq)
	binary.BigEndian.PutUint64(b[18:], uint64(s.SentNS))
}

// Encode returns s encoded.
func (s Stamp) Encode() []byte {
	b := make([]byte, StampLen)
	s.Put(b)
	return b
}

// DecodeStamp reads an encoded Stamp.
func DecodeStamp(b []byte) (Stamp, error) {
	if len(b) != StampLen {
		return Stamp{}, fmt.Errorf("%s header: %d bytes, want %d", HeaderKey, len(b), StampLen)
	}
	if b[0] != stampVersion {
		return Stamp{}, fmt.Errorf("%s header: version %d, want %d", HeaderKey, b[0], stampVersion)
	}
	return Stamp{
		Flags:    b[1],
		Run:      binary.BigEndian.Uint32(b[2:]),
		Producer: binary.BigEndian.Uint32(b[6:]),
		Seq:      binary.BigEndian.Uint64(b[10:]),
		SentNS:   int64(binary.BigEndian.Uint64(b[18:])),
	}, nil
}

// Measured reports whether the event counts in the figures.
func (s Stamp) Measured() bool { return s.Flags&(FlagWarmup|FlagProbe) == 0 }

// RunTag is the tag of a run id, carried in every Stamp.
func RunTag(runID string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID))
	return h.Sum32()
}

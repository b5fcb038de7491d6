package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Markers put a result between clear delimiters in a stream that carries
// other text too, such as a pod's log, which mixes a program's standard
// output and error.
const (
	BeginMarker = "-----BEGIN COMMSBENCH RESULT-----"
	EndMarker   = "-----END COMMSBENCH RESULT-----"
)

// EncodeMarked writes r as Encode does, between the markers, each on a
// line of its own.
func EncodeMarked(w io.Writer, r *Result) error {
	var buf bytes.Buffer
	buf.WriteString(BeginMarker + "\n")
	if err := Encode(&buf, r); err != nil {
		return err
	}
	if buf.Bytes()[buf.Len()-1] != '\n' {
		buf.WriteByte('\n')
	}
	buf.WriteString(EndMarker + "\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// ErrNoMarkedResult is returned by DecodeMarked for text that holds no
// complete marked result.
var ErrNoMarkedResult = errors.New("no result between " + BeginMarker + " and " + EndMarker)

// DecodeMarked reads the last complete marked result in text (a log that
// holds it); lines outside the markers are ignored.
func DecodeMarked(text []byte) (*Result, error) {
	end := bytes.LastIndex(text, []byte("\n"+EndMarker))
	if end < 0 {
		return nil, ErrNoMarkedResult
	}
	begin := bytes.LastIndex(text[:end], []byte(BeginMarker+"\n"))
	if begin < 0 || (begin > 0 && text[begin-1] != '\n') {
		return nil, ErrNoMarkedResult
	}
	r, err := Unmarshal(text[begin+len(BeginMarker)+1 : end+1])
	if err != nil {
		return nil, fmt.Errorf("the marked result: %w", err)
	}
	return r, nil
}

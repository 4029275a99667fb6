//go:build !rastro_nojson

package wire

import (
	"errors"
	"io"
	"time"

	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jwriter"
)

// ErrNotBatch is returned by DecodeBatch when a body is not a batch at all.
var ErrNotBatch = errors.New("wire: not a batch")

// DecodeBatch decodes the envelope of a batch body. Its events stay raw JSON;
// decode each with DecodeEvent. A body that is not a JSON object with an
// "events" array yields an error wrapping ErrNotBatch that says what is wrong.
func DecodeBatch(data []byte) (RawBatch, error) {
	var b RawBatch
	if err := easyjson.Unmarshal(data, &b); err != nil {
		return RawBatch{}, &decodeError{msg: "malformed JSON: " + err.Error()}
	}
	if b.Events == nil {
		return RawBatch{}, &decodeError{msg: `missing "events" array`}
	}
	return b, nil
}

type decodeError struct{ msg string }

func (e *decodeError) Error() string        { return "wire: not a batch: " + e.msg }
func (e *decodeError) Is(target error) bool { return target == ErrNotBatch }

// DecodeBatchInto decodes a whole batch into b in one pass, reusing the
// capacity of b.Events. It is the fast path for well-formed bodies: it
// fails on the first malformed event, and callers then judge each event on
// its own with DecodeBatch and DecodeEvent. Both decode events alike; only
// DecodeBatchInto skips unknown fields without checking their JSON.
func DecodeBatchInto(data []byte, b *Batch) error {
	events := b.Events[:0]
	*b = Batch{Events: events}
	if err := easyjson.Unmarshal(data, b); err != nil {
		return &decodeError{msg: "malformed JSON: " + err.Error()}
	}
	if len(b.Events) == 0 {
		// Reused capacity hides a missing "events": ask the envelope.
		if _, err := DecodeBatch(data); err != nil {
			return err
		}
	}
	return nil
}

// DecodeEvent decodes one event from JSON into e, which it resets first.
func DecodeEvent(data []byte, e *Event) error {
	*e = Event{}
	if err := easyjson.Unmarshal(data, e); err != nil {
		return &FieldError{Field: "", Reason: "malformed event JSON: " + err.Error()}
	}
	return nil
}

// WriteBatch writes the JSON encoding of b to w. It reuses easyjson's pooled
// buffers, so encoding a batch costs few allocations.
func WriteBatch(w io.Writer, b *Batch) error {
	var jw jwriter.Writer
	b.MarshalEasyJSON(&jw)
	if jw.Error != nil {
		return jw.Error
	}
	_, err := jw.DumpTo(w)
	return err
}

// AppendEvent appends the JSON encoding of e to dst.
func AppendEvent(dst []byte, e *Event) []byte {
	var jw jwriter.Writer
	e.MarshalEasyJSON(&jw)
	return append(dst, jw.Buffer.BuildBytes()...)
}

// RawBatch is a Batch whose events are still undecoded JSON, so that the
// collector can decode and judge each event on its own: one malformed event
// must not cost its neighbours. See DecodeBatch.
//
//easyjson:json
type RawBatch struct {
	SentAt time.Time             `json:"sent_at"`
	SDK    SDKInfo               `json:"sdk"`
	Events []easyjson.RawMessage `json:"events"`
}

//go:build !rastro_nojson

package wire

import "time"

// NewID returns a new UUIDv7 (RFC 9562) in its canonical 36-character form.
// IDs from one process are strictly increasing, so stores that key on them
// insert in order. It is safe for concurrent use.
func NewID() string {
	var b [36]byte
	return string(AppendID(b[:0]))
}

// AppendID appends a new UUIDv7 in canonical form to dst.
func AppendID(dst []byte) []byte {
	u := ids.next(time.Now())
	return appendUUID(dst, u)
}

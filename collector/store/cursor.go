package store

import (
	"encoding/base64"
	"encoding/binary"
)

// A cursor is the (time, seq) of the last trace of a Query page, after a
// version byte, in unpadded URL-safe base64. Stores that order by trace
// time and an arrival sequence share it, so a cursor reads the same
// whichever store made it.
const (
	cursorVersion = 1
	cursorLen     = 1 + 8 + 8
)

// EncodeCursor returns the cursor that continues after the trace at time t
// (in the store's own unit) with arrival sequence seq.
func EncodeCursor(t, seq int64) string {
	var b [cursorLen]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:], uint64(t))
	binary.BigEndian.PutUint64(b[9:], uint64(seq))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeCursor returns the time and sequence of a cursor made by
// EncodeCursor, or ErrBadCursor.
func DecodeCursor(s string) (t, seq int64, err error) {
	var b [cursorLen]byte
	// The exact length, decoded whole: the decoder skips \r and \n,
	// which would let shorter texts through, the rest of b left zero.
	if len(s) != base64.RawURLEncoding.EncodedLen(cursorLen) {
		return 0, 0, ErrBadCursor
	}
	if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(s)); err != nil || n != cursorLen || b[0] != cursorVersion {
		return 0, 0, ErrBadCursor
	}
	t = int64(binary.BigEndian.Uint64(b[1:]))
	seq = int64(binary.BigEndian.Uint64(b[9:]))
	if seq <= 0 {
		return 0, 0, ErrBadCursor
	}
	return t, seq, nil
}

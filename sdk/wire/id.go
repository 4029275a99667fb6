package wire

import (
	"math/rand/v2"
	"sync/atomic"
)

// UUID is a UUIDv7 in binary form, for callers that keep many ids and
// format them later (the SDK's queue does).
type UUID [16]byte

// NewUUIDAt returns a new UUIDv7 for the time now; it draws from the same
// strictly increasing sequence as NewID.
func NewUUIDAt(now Time) UUID { return ids.next(now) }

// String returns u in canonical 36-character form.
func (u UUID) String() string {
	var b [36]byte
	return string(appendUUID(b[:0], u))
}

// Append appends u in canonical form to dst.
func (u UUID) Append(dst []byte) []byte { return appendUUID(dst, u) }

// NewIDAt is NewID with the time given by the caller, for callers that
// already hold the current time (reading the clock costs about 50 ns on
// some machines). Ids stay strictly increasing even if now goes back.
func NewIDAt(now Time) string {
	var b [36]byte
	return string(appendUUID(b[:0], ids.next(now)))
}

// idGen makes UUIDv7s: 48 bits of Unix milliseconds, a 12-bit counter in
// rand_a that keeps ids of the same millisecond ordered (RFC 9562 method 1),
// and 62 random bits. The bits come from math/rand/v2's global source: the
// runtime's per-thread ChaCha8 stream seeded from the operating system's
// entropy (getrandom, or crypto.getRandomValues in a browser), which is a
// CSPRNG without crypto/rand's weight in the WebAssembly build.
//
// The millisecond and the counter live together in one word, ms<<12|seq,
// advanced with compare-and-swap rather than under a mutex: Capture in the
// SDK makes an id per event and this is on its hot path. Adding one to the
// word when the counter is spent carries into the millisecond, which is
// the "borrow the next millisecond" rule.
type idGen struct {
	state atomic.Uint64 // lastMs<<12 | seq
}

var ids idGen

func (g *idGen) next(now Time) [16]byte {
	ms := uint64(now.UnixMilli()) & (1<<48 - 1)
	r2 := rand.Uint64()
	var cur uint64
	for {
		old := g.state.Load()
		if ms > old>>12 {
			cur = ms<<12 | rand.Uint64()>>54 // random start in the lowest quarter of the 12-bit counter
		} else {
			// Same millisecond or the clock went back: count on.
			cur = old + 1
		}
		if g.state.CompareAndSwap(old, cur) {
			break
		}
	}
	ms, seq := cur>>12, cur&0xfff

	var u [16]byte
	putUint64(u[0:8], ms<<16|0x7000|seq)
	putUint64(u[8:16], r2>>2|0x8000000000000000)
	return u
}

// putUint64 is binary.BigEndian.PutUint64, which this package avoids
// because encoding/binary pulls reflect into the WebAssembly build. Written
// out, the compiler turns it into one byte-swapped store.
func putUint64(b []byte, v uint64) {
	_ = b[7]
	b[0] = byte(v >> 56)
	b[1] = byte(v >> 48)
	b[2] = byte(v >> 40)
	b[3] = byte(v >> 32)
	b[4] = byte(v >> 24)
	b[5] = byte(v >> 16)
	b[6] = byte(v >> 8)
	b[7] = byte(v)
}

const hexDigits = "0123456789abcdef"

func appendUUID(dst []byte, u [16]byte) []byte {
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// IDTime returns the millisecond timestamp of a UUIDv7 in canonical form,
// and false if id is not one.
func IDTime(id string) (Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return Time{}, false
	}
	var ms int64
	for i := 0; i < 13; i++ {
		if i == 8 {
			continue
		}
		c := id[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return Time{}, false
		}
		ms = ms<<4 | int64(d)
	}
	return UnixMilli(ms), true
}

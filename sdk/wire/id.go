package wire

import (
	"math/rand/v2"
	"sync"
	"time"
)

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

// idGen makes UUIDv7s: 48 bits of Unix milliseconds, a 12-bit counter in
// rand_a that keeps ids of the same millisecond ordered (RFC 9562 method 1),
// and 62 random bits. The bits come from math/rand/v2's global source: the
// runtime's per-thread ChaCha8 stream seeded from the operating system's
// entropy (getrandom, or crypto.getRandomValues in a browser), which is a
// CSPRNG without crypto/rand's weight in the WebAssembly build.
type idGen struct {
	mu     sync.Mutex
	lastMs uint64
	seq    uint64
}

var ids idGen

func (g *idGen) next(now time.Time) [16]byte {
	ms := uint64(now.UnixMilli())
	r, r2 := rand.Uint64(), rand.Uint64()
	g.mu.Lock()
	switch {
	case ms > g.lastMs:
		g.lastMs = ms
		g.seq = r >> 54 // random start in the lowest quarter of the 12-bit counter
	default:
		// Same millisecond or the clock went back: count on, borrowing the
		// next millisecond when the counter is spent.
		g.seq++
		if g.seq > 0xfff {
			g.lastMs++
			g.seq = 0
		}
	}
	ms, seq := g.lastMs, g.seq
	g.mu.Unlock()

	var u [16]byte
	putUint64(u[0:8], ms<<16|0x7000|seq)
	putUint64(u[8:16], r2>>2|0x8000000000000000)
	return u
}

// putUint64 is binary.BigEndian.PutUint64, which this package avoids
// because encoding/binary pulls reflect into the WebAssembly build.
func putUint64(b []byte, v uint64) {
	_ = b[7]
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
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
func IDTime(id string) (time.Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return time.Time{}, false
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
			return time.Time{}, false
		}
		ms = ms<<4 | int64(d)
	}
	return time.UnixMilli(ms), true
}

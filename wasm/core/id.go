package core

import "math/rand/v2"

// NewID returns a new UUIDv7 (RFC 9562) for the time ms (Unix
// milliseconds), made as wire.NewIDAt makes them: 48 bits of
// milliseconds, a 12-bit counter that keeps ids of one millisecond (or of
// a clock that went back) increasing, and 62 random bits from
// math/rand/v2's runtime ChaCha8 source (seeded by crypto.getRandomValues
// in a browser). Ids from one Core are strictly increasing.
func (c *Core) NewID(ms int64) string {
	cur := uint64(ms) & (1<<48 - 1) << 12
	if cur > c.lastID {
		cur |= rand.Uint64() >> 54 // a random start in the lowest quarter of the counter
	} else {
		cur = c.lastID + 1
	}
	c.lastID = cur
	var u [16]byte
	putUint64(u[0:8], cur>>12<<16|0x7000|cur&0xfff)
	putUint64(u[8:16], rand.Uint64()>>2|0x8000000000000000)
	dst := make([]byte, 0, 36)
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[b>>4], hex[b&0xf])
	}
	return string(dst)
}

func putUint64(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

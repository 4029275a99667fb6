package tailbuf

import "sync"

// Buffer keeps the last Max bytes written to it (256 KiB when Max is 0).
// It is safe for concurrent use (a process's stdout and stderr write to
// one Buffer).
type Buffer struct {
	Max int

	mu sync.Mutex
	b  []byte
}

func (t *Buffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	max := t.Max
	if max <= 0 {
		max = 256 << 10
	}
	t.b = append(t.b, p...)
	if over := len(t.b) - max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// String returns the bytes kept.
func (t *Buffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

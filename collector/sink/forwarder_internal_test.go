package sink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
)

// records is a slog.Handler that keeps the records it is given.
type records struct {
	mu  sync.Mutex
	got []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.got {
		out = append(out, rec.Level.String()+" "+rec.Message)
	}
	return out
}

type nopSink struct{}

func (nopSink) Name() string                                   { return "test" }
func (nopSink) Publish(context.Context, []store.Pending) error { return nil }
func (nopSink) Close() error                                   { return nil }

type nopOutbox struct{ store.Outbox }

func TestFailureLogRateLimited(t *testing.T) {
	logs := &records{}
	f, err := NewForwarder(nopOutbox{}, nopSink{}, ForwarderConfig{Logger: slog.New(logs), LogEvery: time.Minute})
	require.NoError(t, err)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.now = func() time.Time { return now }

	var l failureLog
	boom := errors.New("boom")
	for range 1000 { // a retry storm within one LogEvery: one line
		l.failed(f, boom)
		now = now.Add(10 * time.Millisecond)
	}
	require.Equal(t, []string{"WARN sink: forwarding failed, retrying"}, logs.messages())
	now = now.Add(time.Minute)
	l.failed(f, boom) // the next line, saying how many went unlogged
	l.recovered(f)
	l.recovered(f) // once
	require.Equal(t, []string{
		"WARN sink: forwarding failed, retrying",
		"WARN sink: forwarding failed, retrying",
		"INFO sink: forwarding recovered",
	}, logs.messages())
	var unlogged, failures int64
	logs.got[1].Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "unlogged":
			unlogged = a.Value.Int64()
		case "failures":
			failures = a.Value.Int64()
		}
		return true
	})
	require.Equal(t, int64(999), unlogged)
	require.Equal(t, int64(1001), failures)

	l.failed(f, boom) // a new run of failures logs at once
	require.Len(t, logs.messages(), 4)
}

package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
)

// RunOutbox runs the conformance suite of store.Outbox. open opens the
// store kept in dir (creating it when dir is new) queueing for sinks; the
// store it returns must implement store.Outbox. It is called again with
// the same dir to test restarts, after the previous store was closed.
// RunOutbox closes every store it opens.
func RunOutbox(t *testing.T, open func(t *testing.T, dir string, sinks []string) store.Store) {
	o := outboxSuite{open: open}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"ClaimDone", o.claimDone},
		{"Lease", o.lease},
		{"Reopen", o.reopen},
		{"Concurrent", o.concurrent},
		{"Retention", o.retention},
		{"UnknownSink", o.unknownSink},
		{"Close", o.closed},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type outboxSuite struct {
	open func(t *testing.T, dir string, sinks []string) store.Store
}

var outboxSinks = []string{"nats", "kafka"}

func (o outboxSuite) store(t *testing.T, dir string) (store.Store, store.Outbox) {
	t.Helper()
	st := o.open(t, dir, outboxSinks)
	require.NotNil(t, st)
	t.Cleanup(func() { _ = st.Close() })
	ob, ok := st.(store.Outbox)
	require.True(t, ok, "%T does not implement store.Outbox", st)
	return st, ob
}

func clicks(prefix string, n int, at time.Time) []trace.Trace {
	out := make([]trace.Trace, n)
	for i := range out {
		out[i] = click(fmt.Sprintf("%s%03d", prefix, i), at.Add(time.Duration(i)*time.Second))
	}
	return out
}

func pendingIDs(t *testing.T, ps []store.Pending) []string {
	t.Helper()
	out := make([]string, len(ps))
	for i, p := range ps {
		var got trace.Trace
		require.NoError(t, got.UnmarshalJSON(p.Body), "Body is the trace's JSON")
		require.Equal(t, p.Trace.ID, got.ID)
		out[i] = p.Trace.ID
	}
	return out
}

func backlog(t *testing.T, ob store.Outbox, sink string) int64 {
	t.Helper()
	n, err := ob.Backlog(context.Background(), sink)
	require.NoError(t, err)
	return n
}

// claimDone: entries come oldest first, once each; duplicates are not
// queued again; sinks are independent.
func (o outboxSuite) claimDone(t *testing.T) {
	ctx := context.Background()
	st, ob := o.store(t, t.TempDir())
	got, err := ob.Claim(ctx, "nats", 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, got, "nothing stored yet")

	batch := clicks("a", 6, day0)
	_, err = st.Append(ctx, batch[:4])
	require.NoError(t, err)
	_, err = st.Append(ctx, batch[2:]) // a002, a003 are duplicates
	require.NoError(t, err)
	require.Equal(t, int64(6), backlog(t, ob, "nats"))
	require.Equal(t, int64(6), backlog(t, ob, "kafka"))

	first, err := ob.Claim(ctx, "nats", 4, time.Minute)
	require.NoError(t, err)
	require.Equal(t, ids(batch[:4]), pendingIDs(t, first))
	second, err := ob.Claim(ctx, "nats", 4, time.Minute)
	require.NoError(t, err)
	require.Equal(t, ids(batch[4:]), pendingIDs(t, second), "leased entries are not claimed twice")
	none, err := ob.Claim(ctx, "nats", 4, time.Minute)
	require.NoError(t, err)
	require.Empty(t, none)

	require.NoError(t, ob.Done(ctx, "nats", first))
	require.Equal(t, int64(2), backlog(t, ob, "nats"))
	require.NoError(t, ob.Done(ctx, "nats", second))
	require.Equal(t, int64(0), backlog(t, ob, "nats"))
	require.Equal(t, int64(6), backlog(t, ob, "kafka"), "another sink keeps its queue")

	_, err = st.Append(ctx, batch) // all duplicates
	require.NoError(t, err)
	require.Equal(t, int64(0), backlog(t, ob, "nats"), "a duplicate is not queued again")

	k, err := ob.Claim(ctx, "kafka", 100, time.Minute)
	require.NoError(t, err)
	require.Equal(t, ids(batch), pendingIDs(t, k))
}

// lease: an entry claimed and not done is claimed again once its lease
// ends (the claimer crashed).
func (o outboxSuite) lease(t *testing.T) {
	ctx := context.Background()
	st, ob := o.store(t, t.TempDir())
	batch := clicks("l", 3, day0)
	_, err := st.Append(ctx, batch)
	require.NoError(t, err)
	first, err := ob.Claim(ctx, "nats", 10, 50*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, first, 3)
	require.Eventually(t, func() bool {
		again, err := ob.Claim(ctx, "nats", 10, time.Minute)
		return err == nil && len(again) == 3
	}, 5*time.Second, 20*time.Millisecond, "entries come back when their lease ends")
	require.Equal(t, int64(3), backlog(t, ob, "nats"))
}

// reopen: what was done stays done, what was not is claimed again.
func (o outboxSuite) reopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := o.open(t, dir, outboxSinks)
	batch := clicks("r", 5, day0)
	_, err := st.Append(ctx, batch)
	require.NoError(t, err)
	ob := st.(store.Outbox)
	first, err := ob.Claim(ctx, "nats", 2, time.Minute)
	require.NoError(t, err)
	require.NoError(t, ob.Done(ctx, "nats", first))
	const lease = 300 * time.Millisecond
	_, err = ob.Claim(ctx, "nats", 2, lease) // leased, never done
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st2, ob2 := o.store(t, dir)
	require.Equal(t, int64(3), backlog(t, ob2, "nats"))
	require.Equal(t, int64(5), backlog(t, ob2, "kafka"))
	// A lease ends with its process or its duration: either way the
	// entries come back.
	time.Sleep(lease + 200*time.Millisecond)
	rest, err := ob2.Claim(ctx, "nats", 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"r002", "r003", "r004"}, pendingIDs(t, rest))
	more := clicks("s", 2, day1)
	_, err = st2.Append(ctx, more)
	require.NoError(t, err)
	require.Equal(t, int64(5), backlog(t, ob2, "nats"))
}

// concurrent: claimers working at once each get different entries, and
// between them every entry once.
func (o outboxSuite) concurrent(t *testing.T) {
	ctx := context.Background()
	st, ob := o.store(t, t.TempDir())
	batch := clicks("c", 300, day0)
	_, err := st.Append(ctx, batch)
	require.NoError(t, err)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := ob.Claim(ctx, "nats", 7, time.Minute)
				if !assertNoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, p := range got {
					seen[p.Trace.ID]++
				}
				mu.Unlock()
				if !assertNoError(t, ob.Done(ctx, "nats", got)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, 300)
	for id, n := range seen {
		require.Equal(t, 1, n, id)
	}
	require.Equal(t, int64(0), backlog(t, ob, "nats"))
}

// retention keeps what a sink has not confirmed, and traces stored after
// retention emptied the old ones still reach the sinks.
func (o outboxSuite) retention(t *testing.T) {
	ctx := context.Background()
	st, ob := o.store(t, t.TempDir())
	old := clicks("o", 4, day0)
	_, err := st.Append(ctx, old)
	require.NoError(t, err)
	n, err := st.DeleteBefore(ctx, day1)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is delivered yet")

	for _, sink := range outboxSinks {
		got, err := ob.Claim(ctx, sink, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 4)
		require.NoError(t, ob.Done(ctx, sink, got))
	}
	recent := clicks("n", 1, day1)
	_, err = st.Append(ctx, recent)
	require.NoError(t, err)
	n, err = st.DeleteBefore(ctx, day1)
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "delivered old traces go")

	newer := clicks("m", 2, day1.Add(time.Hour))
	_, err = st.Append(ctx, newer)
	require.NoError(t, err)
	got, err := ob.Claim(ctx, "nats", 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"n000", "m000", "m001"}, pendingIDs(t, got))
}

func (o outboxSuite) unknownSink(t *testing.T) {
	ctx := context.Background()
	_, ob := o.store(t, t.TempDir())
	_, err := ob.Claim(ctx, "webhook", 1, time.Minute)
	require.ErrorContains(t, err, `"webhook"`)
	_, err = ob.Backlog(ctx, "webhook")
	require.ErrorContains(t, err, `"webhook"`)
	require.ErrorContains(t, ob.Done(ctx, "webhook", nil), `"webhook"`)
}

func (o outboxSuite) closed(t *testing.T) {
	ctx := context.Background()
	st, ob := o.store(t, t.TempDir())
	require.NoError(t, st.Close())
	_, err := ob.Claim(ctx, "nats", 1, time.Minute)
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = ob.Backlog(ctx, "nats")
	require.ErrorIs(t, err, store.ErrClosed)
}

package outbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWriteReadRemove(t *testing.T) {
	dir := t.TempDir()
	o, entries, err := Open(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
	now := time.Unix(1700000000, 5)
	var written []Entry
	for i, arr := range []string{`[{"id":"a"}]`, `[{"id":"b"},{"id":"c"}]`, `[]`} {
		e, err := o.Write(i+1, []byte(arr), now.Add(time.Duration(i)))
		require.NoError(t, err)
		got, err := o.Read(e)
		require.NoError(t, err)
		require.Equal(t, arr, string(got))
		written = append(written, e)
	}

	// Reopening finds the batches, oldest first, with their counts; an
	// unfinished write (.tmp) and a file that is not a batch are reported or
	// removed.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0000000000000001-00000009.batch.tmp"), []byte("rastro-outbox 1 3\n[{"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ffffffffffffffff-00000000.batch"), []byte("garbage"), 0o600))
	o2, entries, err := Open(dir)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	for i, e := range written {
		require.Equal(t, e.Name, entries[i].Name)
		require.Equal(t, e.Events, entries[i].Events)
		require.Equal(t, e.Bytes, entries[i].Bytes)
		require.True(t, e.Created.Equal(entries[i].Created))
	}
	require.Equal(t, -1, entries[3].Events, "garbage is flagged")
	_, err = o2.Read(entries[3])
	require.ErrorIs(t, err, ErrCorrupt)
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	require.Empty(t, tmps, "unfinished writes are removed")

	// New names sort after the old ones even within the same nanosecond.
	e, err := o2.Write(1, []byte(`[1]`), now)
	require.NoError(t, err)
	require.Greater(t, e.Name[17:], entries[2].Name[17:])

	for _, e := range entries {
		require.NoError(t, o2.Remove(e))
		require.NoError(t, o2.Remove(e), "removing twice is fine")
	}
}

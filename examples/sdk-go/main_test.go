package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/sdk/wire"
)

// Test_main runs the example against a local stand-in collector.
func Test_main(t *testing.T) {
	var events atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer wk_test", r.Header.Get("Authorization"))
		zr, err := gzip.NewReader(r.Body)
		require.NoError(t, err)
		body, err := io.ReadAll(zr)
		require.NoError(t, err)
		b, err := wire.DecodeBatch(body)
		require.NoError(t, err)
		events.Add(int64(len(b.Events)))
		_, _ = w.Write([]byte(`{"accepted":` + strconv.Itoa(len(b.Events)) + `,"duplicates":0,"rejected":[]}`))
	}))
	defer srv.Close()

	out := captureStdout(t, func() {
		os.Args = []string{"sdk-go", "-endpoint", srv.URL, "-key", "wk_test"}
		main()
	})
	require.Contains(t, out, "refused: value must be between 0 and 10 for kind nps")
	require.Contains(t, out, "delivered 6 events")
	require.EqualValues(t, 6, events.Load())
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	f()
	require.NoError(t, w.Close())
	var buf bytes.Buffer
	_, err = io.Copy(&buf, r)
	require.NoError(t, err)
	return strings.TrimSpace(buf.String())
}

package sdk

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/rastrohq/rastro/sdk/wire"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// readBody reads a request body, gunzipping it when needed.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = zr
	}
	return io.ReadAll(rd)
}

// countingHandler decodes each batch and counts its events.
func countingHandler(n *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, err := wire.DecodeBatch(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n.Add(int64(len(b.Events)))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"accepted":` + itoa(len(b.Events)) + `,"duplicates":0,"rejected":[]}`))
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}

// wrap415 answers 415 to gzip bodies and passes plain ones to f.
func wrap415(f *fakeCollector, gz *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz.Add(1)
			http.Error(w, "unsupported encoding", http.StatusUnsupportedMediaType)
			return
		}
		f.serve(w, r)
	}
}

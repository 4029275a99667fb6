package ingest

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"sync"
)

// Ceiling returns the handler of the ceiling server: the least any
// collector must do with a batch. POST /v1/batch reads the whole body,
// gunzipping it when Content-Encoding is gzip, and answers 204;
// GET /readyz and /healthz answer 200. It neither parses, authorizes nor
// stores anything, so a collector loaded like it can at best match it.
//
// Its buffers and gzip readers are pooled, as a tuned collector's would be.
// The gzip reader is pooled with a bufio.Reader for it to read through
// (gunzipper).
func Ceiling() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+batchPath, ceilingBatch)
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }
	mux.HandleFunc("GET /readyz", ok)
	mux.HandleFunc("GET /healthz", ok)
	return mux
}

const batchPath = "/v1/batch"

var (
	ceilingBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	gunzippers  sync.Pool // of *gunzipper
)

// gunzipper is a gzip reader with the buffered reader it reads through.
// gzip.Reader.Reset on a reader that is not an io.ByteReader allocates a
// 4 KiB bufio.Reader each time, which triples the cost of a small body.
type gunzipper struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func ceilingBatch(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip":
		g, _ := gunzippers.Get().(*gunzipper)
		var err error
		if g == nil {
			g = &gunzipper{br: bufio.NewReader(r.Body)}
			g.zr, err = gzip.NewReader(g.br)
		} else {
			g.br.Reset(r.Body)
			err = g.zr.Reset(g.br)
		}
		if err != nil {
			http.Error(w, "bad gzip: "+err.Error(), http.StatusBadRequest)
			return
		}
		defer func() {
			g.br.Reset(nil)
			gunzippers.Put(g)
		}()
		rd = g.zr
	default:
		http.Error(w, "unsupported Content-Encoding", http.StatusUnsupportedMediaType)
		return
	}
	// The whole body lands in one buffer, as a collector that decodes it
	// would need it.
	bp := ceilingBufs.Get().(*[]byte)
	defer ceilingBufs.Put(bp)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	*bp = buf
	w.WriteHeader(http.StatusNoContent)
}

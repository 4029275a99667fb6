package widget

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says where the built bundle lives and how long un-hashed files
// may be cached.
type Config struct {
	// Dir is the folder `make widget` wrote (wasm/dist). Empty serves
	// nothing (404).
	Dir string
	// Prefix is the URL path the handler is mounted at. Defaults to
	// "/widget/".
	Prefix string
	// MaxAge is the cache lifetime of files without a content hash, the
	// loader rastro.js above all. Defaults to 5 minutes.
	MaxAge time.Duration
}

// Immutable is the Cache-Control of content-hashed files.
const Immutable = "public, max-age=31536000, immutable"

// hashed matches the names build.sh gives content-hashed files.
var hashed = regexp.MustCompile(`\.[0-9a-f]{8,64}\.(js|wasm)$`)

var types = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".json": "application/json",
	".ts":   "text/plain; charset=utf-8",
	".map":  "application/json",
}

// Handler serves the bundle; it is mounted by the collector at
// cfg.Prefix.
func Handler(cfg Config) http.Handler {
	if cfg.Dir == "" {
		return http.NotFoundHandler()
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/widget/"
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * time.Minute
	}
	return &handler{cfg: cfg}
}

type handler struct {
	cfg Config
	gz  sync.Map // gzKey -> []byte, gzip made on the fly
}

type gzKey struct {
	name string
	mod  time.Time
	size int64
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, h.cfg.Prefix)
	ctype := types[path.Ext(name)]
	// One level of plain files, no dot files, no listing.
	if !ok || name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' || ctype == "" {
		http.NotFound(w, r)
		return
	}
	full := filepath.Join(h.cfg.Dir, name)
	fi, err := os.Stat(full)
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", ctype)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hdr.Add("Vary", "Accept-Encoding")
	if hashed.MatchString(name) {
		hdr.Set("Cache-Control", Immutable)
	} else {
		hdr.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.cfg.MaxAge/time.Second)))
	}
	tag := strconv.FormatInt(fi.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(fi.Size(), 36)

	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range [...]struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !accepts(accept, enc.name) {
			continue
		}
		// A sibling older than the file is stale (a hand-edited file):
		// ignore it.
		if cfi, err := os.Stat(full + enc.ext); err == nil && cfi.Mode().IsRegular() && !cfi.ModTime().Before(fi.ModTime()) {
			f, err := os.Open(full + enc.ext)
			if err != nil {
				break
			}
			defer f.Close()
			hdr.Set("Content-Encoding", enc.name)
			hdr.Set("ETag", `"`+tag+"-"+enc.name+`"`)
			http.ServeContent(w, r, "", fi.ModTime(), f)
			return
		}
	}
	if accepts(accept, "gzip") && fi.Size() >= 1024 {
		k := gzKey{name, fi.ModTime(), fi.Size()}
		zipped, ok := h.gz.Load(k)
		if !ok {
			data, err := os.ReadFile(full)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(data)
			_ = zw.Close()
			zipped, _ = h.gz.LoadOrStore(k, buf.Bytes())
		}
		hdr.Set("Content-Encoding", "gzip")
		hdr.Set("ETag", `"`+tag+`-gzip"`)
		http.ServeContent(w, r, "", fi.ModTime(), bytes.NewReader(zipped.([]byte)))
		return
	}
	f, err := os.Open(full)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	hdr.Set("ETag", `"`+tag+`"`)
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// accepts reports whether an Accept-Encoding header allows enc (a q=0
// refuses it).
func accepts(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return !(strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q="), "0.") == "")
	}
	return false
}

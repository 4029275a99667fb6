package widget

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("\x00asm module "), 500)
	loader := []byte(strings.Repeat("(function(){/* loader */})();\n", 100))
	write := func(name string, data []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	write("rastro.0123456789ab.wasm", wasm)
	write("rastro.0123456789ab.wasm.br", []byte("brotli-bytes"))
	write("rastro.js", loader)
	write("manifest.json", []byte(`{}`))
	write("secret.txt", []byte("no"))
	h := Handler(Config{Dir: dir})

	get := func(path, enc string) *http.Response {
		req := httptest.NewRequest("GET", path, nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	for _, tc := range []struct {
		name, path, enc  string
		status           int
		ctype, cache, ce string
		body             []byte
	}{
		{"hashed wasm, brotli", "/widget/rastro.0123456789ab.wasm", "gzip, br", 200, "application/wasm", Immutable, "br", []byte("brotli-bytes")},
		{"hashed wasm, gzip on the fly", "/widget/rastro.0123456789ab.wasm", "gzip", 200, "application/wasm", Immutable, "gzip", wasm},
		{"hashed wasm, identity", "/widget/rastro.0123456789ab.wasm", "", 200, "application/wasm", Immutable, "", wasm},
		{"br refused with q=0", "/widget/rastro.0123456789ab.wasm", "br;q=0", 200, "application/wasm", Immutable, "", wasm},
		{"loader, short cache", "/widget/rastro.js", "gzip", 200, "text/javascript; charset=utf-8", "public, max-age=300", "gzip", loader},
		{"manifest", "/widget/manifest.json", "", 200, "application/json", "public, max-age=300", "", []byte(`{}`)},
		{"unknown type", "/widget/secret.txt", "", 404, "", "", "", nil},
		{"traversal", "/widget/../widget.go", "", 404, "", "", "", nil},
		{"subdir", "/widget/a/b.js", "", 404, "", "", "", nil},
		{"missing", "/widget/nope.js", "", 404, "", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(tc.path, tc.enc)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.status != 200 {
				return
			}
			require.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
			require.Equal(t, tc.cache, resp.Header.Get("Cache-Control"))
			require.Equal(t, tc.ce, resp.Header.Get("Content-Encoding"))
			require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			require.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding")
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			if tc.ce == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				require.NoError(t, err)
				body, err = io.ReadAll(zr)
				require.NoError(t, err)
			}
			require.Equal(t, tc.body, body)
		})
	}

	// Revalidation with the ETag.
	resp := get("/widget/rastro.js", "")
	req := httptest.NewRequest("GET", "/widget/rastro.js", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotModified, rec.Code)

	rec = httptest.NewRecorder()
	Handler(Config{}).ServeHTTP(rec, httptest.NewRequest("GET", "/widget/rastro.js", nil))
	require.Equal(t, 404, rec.Code)
}

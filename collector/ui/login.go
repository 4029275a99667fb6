package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/rastrohq/rastro/collector/ingest"
)

// Login is what the sign-in page shows.
type Login struct {
	// Error, when set, says why the last attempt failed.
	Error string
	// NoKeys says that no read key is configured, so no one can sign in.
	NoKeys bool
}

// The sign-in page is served before its visitor may read /ui/style.css,
// so it carries the stylesheet inline, allowed by its hash.
var (
	loginPage = template.Must(template.ParseFS(assets, "assets/login.html"))
	loginCSS  = template.CSS(mustRead("assets/style.css"))
	loginCSP  = "default-src 'none'; style-src 'sha256-" + cssHash(string(loginCSS)) + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

func cssHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// WriteLogin writes the dashboard's sign-in page with status: a form that
// posts a read key to /ui/login.
func WriteLogin(w http.ResponseWriter, status int, l Login) {
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, struct {
		Login
		CSS template.CSS
	}{l, loginCSS}); err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "ui: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", loginCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

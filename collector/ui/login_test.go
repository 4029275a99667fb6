package ui_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ui"
)

func TestLoginPage(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		login  ui.Login
		want   []string
		absent []string
	}{
		{"blank", 200, ui.Login{}, []string{`<label for="key">Read key</label>`, `type="password"`, `aria-describedby="key-help"`}, []string{`role="alert"`, "No read key"}},
		{"failed", 401, ui.Login{Error: "Not a <read> key."}, []string{`role="alert">Not a &lt;read&gt; key.</p>`, `aria-invalid="true"`, `aria-describedby="key-help login-error"`, "<title>Error: "}, nil},
		{"no keys", 200, ui.Login{NoKeys: true}, []string{"No read key is configured"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ui.WriteLogin(rec, tt.status, tt.login)
			require.Equal(t, tt.status, rec.Code)
			body := rec.Body.String()
			require.Contains(t, body, `<form method="post" action="/ui/login">`)
			for _, s := range tt.want {
				require.Contains(t, body, s)
			}
			for _, s := range tt.absent {
				require.NotContains(t, body, s)
			}
			// The inline stylesheet is exactly what the CSP's hash allows.
			m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
			require.Len(t, m, 2)
			sum := sha256.Sum256([]byte(m[1]))
			csp := rec.Header().Get("Content-Security-Policy")
			require.Contains(t, csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
			require.Contains(t, csp, "default-src 'none'")
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}

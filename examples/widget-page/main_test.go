package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test_main runs the program and reads the page it serves.
func Test_main(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-collector", "http://127.0.0.1:4380", "-key", "wk_test"}, &out, func(a string) { addrc <- a })
	}()
	addr := <-addrc
	for _, path := range []string{"/", "/csp.html?lang=pt-BR", "/?dir=rtl&lang=ar&dnt=1", "/?button=stars+comment&button-position=bottom-left&button-label=%22Hi%22"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		require.Contains(t, string(body), `src="http://127.0.0.1:4380/widget/rastro.js" data-key="wk_test"`)
		if path == "/?dir=rtl&lang=ar&dnt=1" {
			require.Contains(t, string(body), `<html lang="ar" dir="rtl">`)
			require.Contains(t, string(body), `data-respect-dnt="true"`)
			continue
		}
		require.Contains(t, string(body), `data-rastro-touchpoint="checkout.payment"`)
		if path == "/" {
			require.NotContains(t, string(body), `data-button`)
		}
		if strings.HasPrefix(path, "/?button") {
			require.Contains(t, string(body), ` data-button="stars comment" data-button-touchpoint="page.feedback" data-button-position="bottom-left" data-button-label="&#34;Hi&#34;"></script>`)
			continue
		}
		if path != "/" {
			require.NotContains(t, resp.Header.Get("Content-Security-Policy"), "wasm-unsafe-eval")
			require.Contains(t, string(body), `lang="pt-BR"`)
		}
	}
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), "widget page on http://"+addr)
}

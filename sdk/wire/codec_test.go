//go:build !rastro_nojson

package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailru/easyjson"
	"github.com/stretchr/testify/require"
)

func sampleBatch() Batch {
	at := time.Date(2026, 11, 24, 12, 30, 1, 123456789, time.UTC)
	return Batch{
		SentAt: at,
		SDK:    SDKInfo{Name: "rastro-go", Version: "0.1.0"},
		Events: []Event{
			{ID: NewID(), Kind: KindStar, Touchpoint: "checkout.payment", Channel: ChannelWeb, OccurredAt: at, UserID: "u-42", Value: f64(4)},
			{ID: NewID(), Kind: KindQA, Touchpoint: "call.review", Journey: "support", OccurredAt: at, AgentID: "ag-1",
				InteractionID: "call-9", Value: f64(87.5), ScaleMin: f64(0), ScaleMax: f64(100)},
			{ID: NewID(), Kind: KindComment, Touchpoint: "app.review", Text: "Ótimo \"app\" <3\n\u2028", Lang: "pt-BR",
				OccurredAt: at, Context: &Context{URL: "https://x.test/?a=1&b=2", UserAgent: "ua"}, Props: map[string]string{"plan": "pro", "é": "ü"}},
			{ID: NewID(), Kind: KindEmoji, Touchpoint: "t", Emoji: "😍", Value: f64(5), AnonymousID: "a-1", SessionID: "s-1"},
			{ID: NewID(), Kind: KindClick, Touchpoint: "home", Target: "logo"},
		},
	}
}

func TestCodecMatchesEncodingJSON(t *testing.T) {
	b := sampleBatch()
	var buf bytes.Buffer
	require.NoError(t, WriteBatch(&buf, &b))
	std, err := json.Marshal(b)
	require.NoError(t, err)
	require.JSONEq(t, string(std), buf.String(), "easyjson and encoding/json encode alike")

	var viaStd, viaEasy Batch
	require.NoError(t, json.Unmarshal(buf.Bytes(), &viaStd))
	require.NoError(t, easyjson.Unmarshal(std, &viaEasy))
	require.Equal(t, viaStd, viaEasy)
	require.Equal(t, b.Events[2].Text, viaEasy.Events[2].Text)

	raw, err := DecodeBatch(buf.Bytes())
	require.NoError(t, err)
	require.Len(t, raw.Events, len(b.Events))
	for i, re := range raw.Events {
		var e Event
		require.NoError(t, DecodeEvent(re, &e))
		require.Equal(t, viaStd.Events[i], e)
		require.JSONEq(t, string(AppendEvent(nil, &e)), string(AppendEvent(nil, &viaStd.Events[i])))
	}

	r := Response{Accepted: 3, Duplicates: 1, Rejected: []Rejection{{Index: 2, ID: "x", Field: "value", Error: "bad"}}}
	out, err := easyjson.Marshal(r)
	require.NoError(t, err)
	std, _ = json.Marshal(r)
	require.JSONEq(t, string(std), string(out))
}

func TestDecodeBatchErrors(t *testing.T) {
	for _, body := range []string{``, `[]`, `{}`, `{"events":null}`, `{"events":{}}`, `nope`, `{"events":[1,`} {
		_, err := DecodeBatch([]byte(body))
		require.ErrorIs(t, err, ErrNotBatch, "body %q", body)
	}
	var e Event
	require.Error(t, DecodeEvent([]byte(`{"id":1}`), &e))
}

// TestGeneratedCodeIsFresh copies this package into a scratch directory of
// the module, runs the go:generate commands there and compares the output
// with the committed files. The copy has another import path, which
// easyjson writes into its helpers' names; those are normalized first.
func TestGeneratedCodeIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goBin := "go" // go test puts its own GOROOT/bin first in PATH
	// testdata keeps the copy out of ./... builds.
	scratch, err := os.MkdirTemp("testdata", "fresh")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(scratch) })
	tmp := filepath.Join(scratch, "wire")
	require.NoError(t, os.Mkdir(tmp, 0o755))
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tmp, f), data, 0o644))
	}
	for _, args := range [][]string{
		{"tool", "easyjson", "-all", "-build_tags", "!rastro_nojson", "wire.go"},
		{"tool", "easyjson", "-build_tags", "!rastro_nojson", "codec.go"},
	} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = tmp
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", msg)
	}
	helper := regexp.MustCompile(`easyjson[0-9a-fA-F]{8}(Decode|Encode)GithubComRastrohqRastro\w*?Wire(\d*)\b`)
	norm := func(b []byte) string { return helper.ReplaceAllString(string(b), "easyjson${1}${2}") }
	for _, f := range []string{"wire_easyjson.go", "codec_easyjson.go"} {
		want, err := os.ReadFile(f)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(tmp, f))
		require.NoError(t, err)
		require.Equal(t, norm(want), norm(got), "%s is stale: run go generate ./sdk/wire", f)
	}
}

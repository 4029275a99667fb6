package importer_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/server"
	"github.com/rastrohq/rastro/collector/source/importer"
	"github.com/rastrohq/rastro/collector/store/sqlite"
)

func TestHandler(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "traces.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	srv, err := server.New(server.Config{WriteKeys: []ingest.WriteKey{{Token: "wk", Rate: -1}}}, st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	body := "ticket,csat_score\n1,5\n2,4\n3,nope\n"
	url := ts.URL + "/v1/import?source=helpdesk&format=csv&col.id=ticket&col.value=csat_score&set.kind=csat&set.touchpoint=support"
	post := func(url, key string) (*http.Response, importer.Result) {
		req, err := http.NewRequest("POST", url, strings.NewReader(body))
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var res importer.Result
		if resp.StatusCode == 200 {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
		}
		return resp, res
	}
	resp, res := post(url, "wk")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, 3, res.Rows)
	require.Equal(t, 2, res.Imported)
	require.Equal(t, []importer.RowError{{Line: 4, Field: "value", Error: `"nope" is not a number`}}, res.Errors)
	_, res = post(url, "wk")
	require.Equal(t, 0, res.Imported)
	require.Equal(t, 2, res.Duplicates)

	resp, _ = post(url, "")
	require.Equal(t, 401, resp.StatusCode)
	resp, _ = post(ts.URL+"/v1/import?col.value=x", "wk")
	require.Equal(t, 400, resp.StatusCode)
	resp, _ = post(ts.URL+"/v1/import?source=s&col.nope=x", "wk")
	require.Equal(t, 400, resp.StatusCode)
}

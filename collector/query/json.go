package query

import (
	"encoding/json"
	"net/http"
)

// writeJSON answers small, rare responses; the hot paths use easyjson.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

package trace

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of trace format v1, whose $id is
// DataSchema. The collector serves it at /v1/schema/trace.
//
//go:embed schema.json
var Schema []byte

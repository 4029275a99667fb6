package importer

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Format is the format of an import file.
type Format string

// The formats Import reads.
const (
	CSV    Format = "csv"    // comma-separated, header row first
	NDJSON Format = "ndjson" // one JSON object per line
)

// Fields lists the trace fields a mapping may fill, besides "props.NAME".
var Fields = []string{
	"id", "kind", "touchpoint", "channel", "journey", "anonymous_id", "user_id", "session_id", "agent_id",
	"interaction_id", "value", "scale_min", "scale_max", "emoji", "text", "target", "lang", "occurred_at",
}

// Mapping says where each trace field comes from.
type Mapping struct {
	// Format is the file format. Defaults to CSV (or the file name's
	// extension in the import command).
	Format Format `yaml:"format"`
	// Columns maps a field to the column (CSV header, NDJSON key) it is
	// read from, e.g. "value": "csat_score", "props.queue": "queue". A
	// column named like a field (kind, value, props.x, ...) maps to it
	// without being listed. A column may list alternatives, "rating|stars":
	// the first the file has is read; names match exactly or, failing
	// that, without regard to case.
	Columns map[string]string `yaml:"columns"`
	// Defaults gives a field its value where its column is absent or
	// empty, e.g. "kind": "csat", "channel": "voice".
	Defaults map[string]string `yaml:"defaults"`
	// TimeLayout parses occurred_at (a Go time layout, UTC unless it holds
	// a zone; alternatives separated by "|" are tried in order). Defaults
	// to RFC 3339.
	TimeLayout string `yaml:"time_layout"`
}

// ParseMapping reads a YAML mapping:
//
//	format: csv
//	time_layout: "2006-01-02 15:04:05"
//	columns:
//	  id: ticket_id
//	  value: csat_score
//	  occurred_at: closed_at
//	  props.queue: queue
//	defaults:
//	  kind: csat
//	  touchpoint: support.call
//	  channel: voice
func ParseMapping(data []byte) (Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && err.Error() != "EOF" {
		return Mapping{}, fmt.Errorf("importer: mapping: %w", err)
	}
	return m, m.Validate()
}

// LoadMapping reads a YAML mapping file; see ParseMapping.
func LoadMapping(path string) (Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("importer: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return Mapping{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return m, nil
}

// Override returns m with every setting of o replacing m's: o's columns and
// defaults replace m's for the same field, and o's format and layout
// replace m's when set. Flags override a mapping file this way.
func (m Mapping) Override(o Mapping) Mapping {
	out := Mapping{Format: m.Format, TimeLayout: m.TimeLayout,
		Columns: maps.Clone(m.Columns), Defaults: maps.Clone(m.Defaults)}
	if o.Format != "" {
		out.Format = o.Format
	}
	if o.TimeLayout != "" {
		out.TimeLayout = o.TimeLayout
	}
	if out.Columns == nil {
		out.Columns = map[string]string{}
	}
	if out.Defaults == nil {
		out.Defaults = map[string]string{}
	}
	maps.Copy(out.Columns, o.Columns)
	maps.Copy(out.Defaults, o.Defaults)
	return out
}

// Validate checks that m names known fields and a known format.
func (m Mapping) Validate() error {
	switch m.Format {
	case "", CSV, NDJSON:
	default:
		return fmt.Errorf("importer: format %q: want csv or ndjson", m.Format)
	}
	for _, set := range []map[string]string{m.Columns, m.Defaults} {
		for f := range set {
			if !knownField(f) {
				return fmt.Errorf("importer: unknown field %q (fields: %s, props.NAME)", f, strings.Join(Fields, ", "))
			}
		}
	}
	for f, c := range m.Columns {
		if c == "" {
			return fmt.Errorf("importer: field %q: empty column name", f)
		}
	}
	return nil
}

func knownField(f string) bool {
	if name, ok := strings.CutPrefix(f, "props."); ok {
		return name != ""
	}
	return slices.Contains(Fields, f)
}

// ParseAssignments reads "field=column" (or "field=value") pairs, as the
// -col and -set flags and the col.* and set.* query parameters give them.
func ParseAssignments(pairs []string) (map[string]string, error) {
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		f, v, ok := strings.Cut(p, "=")
		f = strings.TrimSpace(f)
		if !ok || f == "" {
			return nil, fmt.Errorf("importer: %q: want field=column", p)
		}
		if !knownField(f) {
			return nil, fmt.Errorf("importer: unknown field %q (fields: %s, props.NAME)", f, strings.Join(Fields, ", "))
		}
		out[f] = v
	}
	return out, nil
}

package plugin

import (
	"github.com/rastrohq/rastro/sdk/wire"
)

//go:generate go tool easyjson abi.go

// ABIVersion is the version of the plugin ABI this package implements and
// that a plugin's rastro_abi_version export returns. The collector refuses
// a plugin of another version.
const ABIVersion = 1

// The exports of ABI v1. See the package documentation for their
// signatures.
const (
	ExportABIVersion   = "rastro_abi_version"
	ExportCapabilities = "rastro_capabilities"
	ExportAlloc        = "rastro_alloc"
	ExportTransform    = "rastro_transform"
	ExportEnrich       = "rastro_enrich"
)

// Capabilities are the bits rastro_capabilities returns: what a plugin
// handles.
const (
	CapTransform uint32 = 1 << iota // rastro_transform turns records into events
	CapEnrich                       // rastro_enrich patches traces
)

// Limits of ABI v1 that the host enforces.
const (
	// MaxEventsPerRecord bounds the events one record may become; a
	// record whose output has more is rejected.
	MaxEventsPerRecord = 100
	// MaxAlloc is the largest buffer rastro_alloc must provide. The host
	// never asks for more.
	MaxAlloc = 64 << 20
)

// TransformResult is the JSON rastro_transform returns: the wire events a
// record became (possibly none), or why the record is refused.
//
//easyjson:json
type TransformResult struct {
	// Events are the record's events; each is judged like an event of
	// POST /v1/batch. An event with an empty id gets a stable hash of the
	// plugin's name, the record and the event's position.
	Events []wire.Event `json:"events"`
	// Error, when not empty, refuses the whole record with this reason;
	// Events are then ignored.
	Error string `json:"error,omitempty"`
}

// EnrichResult is the JSON rastro_enrich returns: a [Patch] to the trace,
// or why the trace could not be enriched. An empty object changes nothing.
//
//easyjson:json
type EnrichResult struct {
	// Props are added to the trace's props. Keys the trace already has
	// keep their value; the props of the result must stay within the
	// collector's limits (32 props, 512 bytes per key and value, by
	// default), else the patch is refused whole.
	Props map[string]string `json:"props,omitempty"`
	// Sentiment is negative, neutral or positive. It is set only on a
	// trace without a score (a comment, a click, a QA score): a rating's
	// sentiment always comes from its score.
	Sentiment string `json:"sentiment,omitempty"`
	// Error, when not empty, says why the trace was not enriched; the
	// trace is stored unchanged.
	Error string `json:"error,omitempty"`
}

// Patch is what an enricher adds to a trace; see [EnrichResult].
type Patch struct {
	Props     map[string]string
	Sentiment string
}

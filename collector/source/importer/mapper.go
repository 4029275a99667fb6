package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The fields, by index into mapper.cols.
const (
	fID = iota
	fKind
	fTouchpoint
	fChannel
	fJourney
	fAnonymousID
	fUserID
	fSessionID
	fAgentID
	fInteractionID
	fValue
	fScaleMin
	fScaleMax
	fEmoji
	fText
	fTarget
	fLang
	fOccurredAt
	nFields
)

// mapper turns records into traces.
type mapper struct {
	cfg    *Config
	limits wire.Limits
	now    time.Time
	origin string
	meta   normalize.Batch
	hashIn []byte // reused by id

	// Resolved against the current header: the column index of each
	// field, -1 where none; and of each prop.
	cols  [nFields]int
	props []propCol
}

type propCol struct {
	name string
	col  int
	def  string
}

// resolve finds the columns of the fields in names. An explicit mapping
// wins over a column named like the field.
func (m *mapper) resolve(names []string) error {
	index := make(map[string]int, len(names))
	for i, n := range names {
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	mp := m.cfg.Mapping
	col := func(field string) int {
		if c, ok := mp.Columns[field]; ok {
			return findColumn(index, names, c)
		}
		if i, ok := index[field]; ok {
			return i
		}
		return -1
	}
	for f, name := range Fields {
		m.cols[f] = col(name)
	}
	m.props = m.props[:0]
	seen := map[string]bool{}
	add := func(field string) {
		if seen[field] {
			return
		}
		seen[field] = true
		m.props = append(m.props, propCol{name: strings.TrimPrefix(field, "props."), col: col(field), def: mp.Defaults[field]})
	}
	for f := range mp.Columns {
		if strings.HasPrefix(f, "props.") {
			add(f)
		}
	}
	for f := range mp.Defaults {
		if strings.HasPrefix(f, "props.") {
			add(f)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "props.") && len(n) > len("props.") {
			if _, mapped := mp.Columns[n]; !mapped {
				add(n)
			}
		}
	}
	for _, f := range [...]int{fKind, fTouchpoint} {
		if m.cols[f] < 0 && mp.Defaults[Fields[f]] == "" {
			return errors.New("no " + Fields[f] + ": map a column to it (-col " + Fields[f] + "=COLUMN) or give it a default (-set " + Fields[f] + "=VALUE)")
		}
	}
	return nil
}

// get returns the value of field f in rec: its column's value when
// present and not empty, else its default.
func (m *mapper) get(rec *record, f int) string {
	if v, ok := m.column(rec, f); ok {
		return v
	}
	return m.cfg.Mapping.Defaults[Fields[f]]
}

// column returns the value of field f in rec's own column, and whether
// there is one that is not empty.
func (m *mapper) column(rec *record, f int) (string, bool) {
	if i := m.cols[f]; i >= 0 && i < len(rec.values) {
		if v := strings.TrimSpace(rec.values[i]); v != "" {
			return v, true
		}
	}
	return "", false
}

func (m *mapper) reject(res *Result, re RowError) {
	res.Rejected++
	if len(res.Errors) < m.cfg.MaxErrors {
		res.Errors = append(res.Errors, re)
	}
}

// trace maps rec into t, or says why the row is rejected.
func (m *mapper) trace(rec *record, t *trace.Trace) *RowError {
	if rec.header {
		if err := m.resolve(rec.names); err != nil {
			if m.cfg.Mapping.Format == NDJSON {
				return &RowError{Line: rec.line, Error: err.Error()}
			}
			// A CSV has one header: no row can be mapped.
			return &RowError{Line: -1, Error: err.Error()}
		}
	}
	e := wire.Event{
		Kind:          wire.Kind(m.get(rec, fKind)),
		Touchpoint:    m.get(rec, fTouchpoint),
		Channel:       wire.Channel(m.get(rec, fChannel)),
		Journey:       m.get(rec, fJourney),
		AnonymousID:   m.get(rec, fAnonymousID),
		UserID:        m.get(rec, fUserID),
		SessionID:     m.get(rec, fSessionID),
		AgentID:       m.get(rec, fAgentID),
		InteractionID: m.get(rec, fInteractionID),
		Emoji:         m.get(rec, fEmoji),
		Text:          m.get(rec, fText),
		Target:        m.get(rec, fTarget),
		Lang:          m.get(rec, fLang),
	}
	for _, f := range [...]int{fValue, fScaleMin, fScaleMax} {
		s := m.get(rec, f)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return &RowError{Line: rec.line, Field: Fields[f], Error: strconv.Quote(truncate(s, 40)) + " is not a number"}
		}
		switch f {
		case fValue:
			e.Value = &v
		case fScaleMin:
			e.ScaleMin = &v
		case fScaleMax:
			e.ScaleMax = &v
		}
	}
	// The row's own time orders its id (see id); a default time is not
	// part of the row.
	_, timed := m.column(rec, fOccurredAt)
	if s := m.get(rec, fOccurredAt); s != "" {
		layout := m.cfg.Mapping.TimeLayout
		if layout == "" {
			layout = time.RFC3339Nano
		}
		at, err := parseTime(layout, s)
		if err != nil {
			return &RowError{Line: rec.line, Field: "occurred_at", Error: strconv.Quote(truncate(s, 40)) + " does not match the layout " + strings.ReplaceAll(layout, "|", " or ")}
		}
		e.OccurredAt = at
	}
	for _, p := range m.props {
		v := p.def
		if p.col >= 0 && p.col < len(rec.values) && rec.values[p.col] != "" {
			v = rec.values[p.col]
		}
		if v != "" {
			if e.Props == nil {
				e.Props = make(map[string]string, len(m.props))
			}
			e.Props[p.name] = v
		}
	}
	e.ID = m.id(rec, e.OccurredAt, timed)
	if err := e.Validate(m.limits, m.now); err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			return &RowError{Line: rec.line, Field: fe.Field, Error: fe.Reason}
		}
		return &RowError{Line: rec.line, Error: err.Error()}
	}
	normalize.Event(&e, &m.meta, t)
	return nil
}

// id is the trace id of a row: a hash of the source and the row's id
// column when it has one, else of the source and the whole row (every
// column's name and value, in name order), so that the same row imported
// again, even with its columns reordered, gets the same id.
//
// A whole-row id whose row has its own occurred_at (timed) starts with
// that time, in milliseconds since 1970 as 12 hex digits: rows close in
// time get ids close in the store's id index, so an import of a file in
// time order writes a few index pages per commit instead of one per row
// (see the package doc, "Speed"). The time is part of the row, so the id
// is still the row's content. An id column identifies its record whatever
// its time, so its ids are the hash alone.
func (m *mapper) id(rec *record, at time.Time, timed bool) string {
	// The hash input is built in one reused buffer: hash.Hash.Write of
	// each []byte(string) would copy every value to the heap.
	b := append(m.hashIn[:0], m.cfg.Source...)
	id := m.get(rec, fID)
	if id != "" {
		b = append(b, "\x00id\x00"...)
		b = append(b, id...)
	} else {
		b = append(b, "\x00row"...)
		for _, i := range rec.order {
			if i >= len(rec.values) {
				continue
			}
			b = append(b, 0)
			b = append(b, rec.names[i]...)
			b = append(b, 0x1f)
			b = append(b, rec.values[i]...)
		}
	}
	m.hashIn = b
	sum := sha256.Sum256(b)
	var buf [len(IDPrefix) + 13 + 32]byte
	out := append(buf[:0], IDPrefix...)
	if id == "" && timed {
		ms := min(max(at.UnixMilli(), 0), 1<<48-1)
		out = appendHex(out, uint64(ms), 12)
		out = append(out, '-')
	}
	out = hex.AppendEncode(out, sum[:16])
	return string(out)
}

// appendHex appends the n low hex digits of v.
func appendHex(b []byte, v uint64, n int) []byte {
	const digits = "0123456789abcdef"
	for i := n - 1; i >= 0; i-- {
		b = append(b, digits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// IDPrefix starts the id of every imported trace.
const IDPrefix = "imp-"

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

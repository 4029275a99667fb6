package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Config configures an import. Source and Appender are required.
type Config struct {
	// Source names where the rows come from, e.g. "zendesk-csat". It
	// becomes the trace source ("rastro://<source>") and is part of every
	// trace id, so re-importing under the same name dedupes. Required.
	Source string
	// Mapping says where each field comes from; Mapping.Format defaults
	// to CSV.
	Mapping Mapping
	// Appender stores the traces. Required.
	Appender store.Appender
	// BatchRows is how many traces go to one Append call. Defaults to 1000.
	BatchRows int
	// MaxErrors bounds the row errors kept in the Result (all are
	// counted). Defaults to 100.
	MaxErrors int
	// Limits bound each trace as for POST /v1/batch; zero fields take
	// wire's defaults.
	Limits wire.Limits
	// Progress, when set, is called with the counts so far each time
	// batches are stored durably: after each batch, or with a
	// store.BulkAppender after each Sync (every SyncRows rows).
	Progress func(Result)
	// SyncRows is how many rows an import stores through a
	// store.BulkAppender's AppendNoSync between two calls of its Sync
	// (and at the end). Defaults to 50,000.
	SyncRows int

	now func() time.Time // tests
}

// Result counts what an import did.
type Result struct {
	// Rows counts the data rows read (not the header, not blank lines).
	Rows int `json:"rows"`
	// Imported counts the traces stored for the first time (and
	// durably: when Import stops on an error, traces that a
	// store.BulkAppender committed but could not sync are not counted; a
	// new import finds them as duplicates).
	Imported int `json:"imported"`
	// Duplicates counts the rows whose trace id was already stored (an
	// earlier import, or an identical row of the same file).
	Duplicates int `json:"duplicates"`
	// Rejected counts the rows refused; Errors lists the first of them.
	Rejected int        `json:"rejected"`
	Errors   []RowError `json:"errors"`
	// Bytes counts the bytes of input read.
	Bytes int64 `json:"bytes"`
}

// RowError says why the row starting on Line (1-based, the header being
// line 1 of a CSV) was rejected.
type RowError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

func (e RowError) String() string {
	if e.Field == "" {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Error
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Field + ": " + e.Error
}

// Import reads rows from r and stores them through cfg.Appender, in
// batches, reading and storing at the same time. A bad row is counted
// and listed in the Result and never stops the rest; Import returns an
// error only when it cannot go on (r fails, a CSV without header, a
// mapping without kind or touchpoint, the store fails, ctx ends), with the
// counts so far.
func Import(ctx context.Context, r io.Reader, cfg Config) (Result, error) {
	if cfg.Source == "" {
		return Result{}, errors.New("importer: Config.Source is required")
	}
	if cfg.Appender == nil {
		return Result{}, errors.New("importer: Config.Appender is required")
	}
	if err := cfg.Mapping.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 1000
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = 100
	}
	if cfg.SyncRows <= 0 {
		cfg.SyncRows = 50_000
	}
	now := time.Now
	if cfg.now != nil {
		now = cfg.now
	}
	cr := &countReader{r: r}
	var dec decoder
	origin := trace.OriginCSV
	switch cfg.Mapping.Format {
	case "", CSV:
		dec = newCSVDecoder(cr)
	case NDJSON:
		dec, origin = newNDJSONDecoder(cr), trace.OriginNDJSON
	}
	m := &mapper{cfg: &cfg, limits: fullLimits(cfg.Limits), now: now(), origin: origin}
	m.meta = normalize.Batch{Source: cfg.Source, ReceivedAt: m.now, Origin: origin}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Batches in the pipeline: two being filled or queued by the reader,
	// inFlight being stored.
	batches := make(chan []trace.Trace, 2)
	free := make(chan []trace.Trace, 2+inFlight)
	for range cap(free) {
		free <- make([]trace.Trace, 0, cfg.BatchRows)
	}
	var res Result
	readErr := make(chan error, 1)
	// The reader fills batches while the caller's goroutine stores them.
	go func() {
		defer close(batches)
		batch := <-free
		var rec record
		for {
			err := dec.next(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				var re *rowErr
				if errors.As(err, &re) {
					res.Rows++
					m.reject(&res, re.RowError)
					continue
				}
				readErr <- err
				return
			}
			res.Rows++
			batch = append(batch, trace.Trace{})
			if re := m.trace(&rec, &batch[len(batch)-1]); re != nil {
				batch = batch[:len(batch)-1]
				if re.Line < 0 { // a CSV header no row can be mapped from
					res.Rows--
					readErr <- errors.New("importer: mapping: " + re.Error)
					return
				}
				m.reject(&res, *re)
				continue
			}
			if len(batch) == cfg.BatchRows {
				select {
				case batches <- batch:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
				select {
				case batch = <-free:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
		}
		if len(batch) > 0 {
			batches <- batch
		}
		readErr <- nil
	}()
	// Up to inFlight Append calls run at once, so that the store's writer
	// commits one batch while the next is being encoded (Append encodes in
	// its caller's goroutine); their results are taken in order.
	type appended struct {
		batch    []trace.Trace
		inserted []bool
		err      error
		done     chan struct{}
	}
	// A store.BulkAppender stores the batches without an fsync each
	// (AppendNoSync) and syncs every SyncRows rows and at the end: only
	// then do the rows count as stored, in Progress and in the Result.
	appendBatch := cfg.Appender.Append
	bulk, _ := cfg.Appender.(store.BulkAppender)
	if bulk != nil {
		appendBatch = bulk.AppendNoSync
	}
	// committed counts the rows of the calls that returned, stored those
	// of them that are durable.
	type counts struct{ imported, duplicates int }
	var committed, stored counts
	var storeErr error
	progress := func() {
		if cfg.Progress != nil {
			cfg.Progress(Result{Imported: stored.imported, Duplicates: stored.duplicates, Bytes: cr.n.Load()})
		}
	}
	sync := func(ctx context.Context) {
		if err := bulk.Sync(ctx); err != nil {
			if storeErr == nil {
				storeErr = fmt.Errorf("importer: store: %w", err)
				cancel()
			}
			return
		}
		stored = committed
		progress()
	}
	pending := make([]*appended, 0, inFlight)
	finish := func() {
		a := pending[0]
		pending = pending[1:]
		<-a.done
		if a.err != nil && storeErr == nil {
			storeErr = fmt.Errorf("importer: store: %w", a.err)
			cancel()
		}
		if a.err == nil {
			for _, ok := range a.inserted {
				if ok {
					committed.imported++
				} else {
					committed.duplicates++
				}
			}
		}
		clear(a.batch)
		free <- a.batch[:0]
		switch {
		case bulk == nil:
			stored = committed // Append returned: durable
			if storeErr == nil {
				progress()
			}
		case storeErr == nil && committed.imported+committed.duplicates-stored.imported-stored.duplicates >= cfg.SyncRows:
			sync(ctx)
		}
	}
	for batch := range batches {
		if len(pending) == inFlight {
			finish()
		}
		if storeErr != nil {
			clear(batch)
			free <- batch[:0]
			continue
		}
		a := &appended{batch: batch, done: make(chan struct{})}
		pending = append(pending, a)
		go func() {
			defer close(a.done)
			a.inserted, a.err = appendBatch(ctx, a.batch)
		}()
	}
	for len(pending) > 0 {
		finish()
	}
	// What was committed becomes durable (and counted) even when the
	// import stops early, on a bad input, a store error or a cancel.
	if committed != stored {
		sync(context.WithoutCancel(ctx))
	}
	err := <-readErr
	res.Imported, res.Duplicates, res.Bytes = stored.imported, stored.duplicates, cr.n.Load()
	if storeErr != nil {
		return res, storeErr
	}
	return res, err
}

// inFlight is how many Append calls an import runs at once.
const inFlight = 2

// fullLimits fills the zero fields of l with wire's defaults.
func fullLimits(l wire.Limits) wire.Limits {
	d := wire.DefaultLimits()
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&d.MaxIDBytes, l.MaxIDBytes)
	set(&d.MaxNameBytes, l.MaxNameBytes)
	set(&d.MaxTextBytes, l.MaxTextBytes)
	set(&d.MaxProps, l.MaxProps)
	set(&d.MaxPropBytes, l.MaxPropBytes)
	set(&d.MaxContextBytes, l.MaxContextBytes)
	if l.MaxFuture > 0 {
		d.MaxFuture = l.MaxFuture
	}
	return d
}

// record is one row: column names and their values, and the order that
// sorts the names (for the row hash).
type record struct {
	line   int
	names  []string
	values []string
	order  []int
	// header is a new slice of names: a CSV header, or an NDJSON line with
	// other keys than the line before; the mapper resolves columns again.
	header bool
}

type decoder interface {
	// next reads the next row into rec; a *RowError for a bad row that
	// does not stop the rest, io.EOF at the end.
	next(rec *record) error
}

// csvDecoder reads a CSV with a header row.
type csvDecoder struct {
	r      *csv.Reader
	names  []string
	order  []int
	header bool
}

func newCSVDecoder(r io.Reader) *csvDecoder {
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvDecoder{r: cr}
}

func (d *csvDecoder) next(rec *record) error {
	if d.names == nil {
		h, err := d.r.Read()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return fmt.Errorf("importer: CSV header: %w", err)
		}
		d.names = make([]string, len(h))
		for i, n := range h {
			n = strings.TrimSpace(n)
			if i == 0 {
				n = strings.TrimPrefix(n, "\uFEFF") // a byte order mark from spreadsheets
			}
			d.names[i] = n
		}
		d.order = sortedOrder(d.names)
		d.header = true
	}
	for {
		vals, err := d.r.Read()
		if err == io.EOF {
			return io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &rowErr{RowError{Line: pe.StartLine, Error: "malformed CSV: " + pe.Err.Error()}}
		}
		if err != nil {
			return fmt.Errorf("importer: reading CSV: %w", err)
		}
		line, _ := d.r.FieldPos(0)
		if len(vals) == 1 && vals[0] == "" {
			continue // a blank line
		}
		if len(vals) != len(d.names) {
			return &rowErr{RowError{Line: line, Error: "has " + strconv.Itoa(len(vals)) + " fields, the header has " + strconv.Itoa(len(d.names))}}
		}
		*rec = record{line: line, names: d.names, values: vals, order: d.order, header: d.header}
		d.header = false
		return nil
	}
}

func sortedOrder(names []string) []int {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return order
}

// ndjsonDecoder reads one JSON object per line. Values that are strings
// are taken as they are; numbers and booleans as their JSON text; objects
// and arrays as their JSON; null as absent.
type ndjsonDecoder struct {
	r     *bufio.Reader
	line  int
	names []string
	order []int
	obj   map[string]json.RawMessage
	keys  []string
}

// MaxLineBytes bounds one NDJSON line.
const MaxLineBytes = 1 << 20

func newNDJSONDecoder(r io.Reader) *ndjsonDecoder {
	return &ndjsonDecoder{r: bufio.NewReaderSize(r, 256<<10)}
}

func (d *ndjsonDecoder) next(rec *record) error {
	for {
		line, err := d.readLine()
		if err != nil {
			return err
		}
		d.line++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if d.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(line) > MaxLineBytes {
			return &rowErr{RowError{Line: d.line, Error: "line over " + strconv.Itoa(MaxLineBytes) + " bytes"}}
		}
		clear(d.obj)
		if d.obj == nil {
			d.obj = map[string]json.RawMessage{}
		}
		if err := json.Unmarshal(line, &d.obj); err != nil {
			return &rowErr{RowError{Line: d.line, Error: "not a JSON object: " + strings.TrimPrefix(err.Error(), "json: ")}}
		}
		d.keys = d.keys[:0]
		for k, v := range d.obj {
			if string(v) != "null" {
				d.keys = append(d.keys, k)
			}
		}
		slices.Sort(d.keys)
		header := !slices.Equal(d.keys, d.names)
		if header {
			d.names = slices.Clone(d.keys)
			d.order = d.order[:0]
			for i := range d.names {
				d.order = append(d.order, i)
			}
		}
		vals := make([]string, len(d.names))
		for i, k := range d.names {
			vals[i] = jsonText(d.obj[k])
		}
		*rec = record{line: d.line, names: d.names, values: vals, order: d.order, header: header}
		return nil
	}
}

// readLine reads a line of any length; it keeps at most MaxLineBytes+1 of
// it, enough to know it is too long.
func (d *ndjsonDecoder) readLine() ([]byte, error) {
	line, err := d.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(line) > 0) {
		return line, nil
	}
	if err != bufio.ErrBufferFull {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("importer: reading NDJSON: %w", err)
	}
	buf := slices.Clone(line)
	for {
		more, err := d.r.ReadSlice('\n')
		if len(buf) <= MaxLineBytes {
			buf = append(buf, more...)
		}
		if err == nil || err == io.EOF {
			return buf, nil
		}
		if err != bufio.ErrBufferFull {
			return nil, fmt.Errorf("importer: reading NDJSON: %w", err)
		}
	}
}

func jsonText(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// countReader counts the bytes read through it, for progress.
type countReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// rowErr is a bad row as a decoder reports it.
type rowErr struct{ RowError }

func (e *rowErr) Error() string { return e.String() }

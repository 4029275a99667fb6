package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/source/importer"
	"github.com/rastrohq/rastro/collector/store/sqlite"
)

// importCmd runs "rastro-collector import": it writes CSV or NDJSON files
// straight into the embedded store. The collector must not be serving the
// same data folder meanwhile (SQLite would make one of them wait on the
// other's writes); import into a running collector with POST /v1/import.
func importCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		data      = fs.String("data", ".rastro-data", "folder of the embedded store (the collector must not be serving it)")
		source    = fs.String("source", "", "name of the source, e.g. zendesk-csat (required; part of every trace id)")
		preset    = fs.String("preset", "", "a ready-made mapping: reviews (review sites) or app-reviews (app stores)")
		mapFile   = fs.String("map", "", "YAML mapping file (columns, defaults, format, time_layout)")
		format    = fs.String("format", "", "csv or ndjson (default: from the file name, else csv)")
		layout    = fs.String("time-layout", "", "Go time layout of occurred_at (default RFC 3339)")
		batch     = fs.Int("batch", 5000, "rows per store commit")
		maxErrors = fs.Int("errors", 20, "row errors to print")
		syncMode  = fs.String("sync", "normal", "store durability during the import: normal or full")
		cols      listFlag
		sets      listFlag
	)
	fs.Var(&cols, "col", "field=column: read a field from a column (repeatable), e.g. -col value=csat_score")
	fs.Var(&sets, "set", "field=value: a field's value where its column is absent or empty (repeatable), e.g. -set kind=csat")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rastro-collector import -data DIR -source NAME [-preset NAME] [-map FILE] [-col field=column ...] [-set field=value ...] [-format csv|ndjson] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *source == "" {
		return errors.New("import: -source is required")
	}
	if fs.NArg() == 0 {
		return errors.New("import: name at least one FILE (- for standard input)")
	}
	mp := importer.Mapping{}
	if *preset != "" {
		var err error
		if mp, err = importer.Preset(*preset); err != nil {
			return err
		}
	}
	if *mapFile != "" {
		fm, err := importer.LoadMapping(*mapFile)
		if err != nil {
			return err
		}
		mp = mp.Override(fm)
	}
	c, err := importer.ParseAssignments(cols)
	if err != nil {
		return err
	}
	s, err := importer.ParseAssignments(sets)
	if err != nil {
		return err
	}
	mp = mp.Override(importer.Mapping{Format: importer.Format(*format), TimeLayout: *layout, Columns: c, Defaults: s})
	if err := mp.Validate(); err != nil {
		return err
	}

	var sopts sqlite.Options
	switch *syncMode {
	case "normal":
		sopts.Sync = sqlite.SyncNormal
	case "full":
	default:
		return fmt.Errorf("-sync: %q is not full or normal", *syncMode)
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	st, err := sqlite.Open(filepath.Join(*data, "traces.db"), sopts)
	if err != nil {
		return err
	}
	defer st.Close()

	tty := isTerminal(os.Stderr)
	var total importer.Result
	for _, name := range fs.Args() {
		fm := mp
		if fm.Format == "" && (strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".jsonl")) {
			fm.Format = importer.NDJSON
		}
		res, err := importFile(ctx, name, importer.Config{Source: *source, Mapping: fm, Appender: st, BatchRows: *batch}, tty, stderr)
		printSummary(stderr, name, res, *maxErrors)
		total.Rows += res.Rows
		total.Imported += res.Imported
		total.Duplicates += res.Duplicates
		total.Rejected += res.Rejected
		if err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	if fs.NArg() > 1 {
		printSummary(stderr, "total", total, 0)
	}
	return st.Close()
}

func importFile(ctx context.Context, name string, cfg importer.Config, tty bool, stderr io.Writer) (importer.Result, error) {
	var r io.Reader = os.Stdin
	var size int64
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return importer.Result{}, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	start := time.Now()
	if tty {
		cfg.Progress = func(p importer.Result) {
			rows := p.Imported + p.Duplicates
			rate := float64(rows) / max(time.Since(start).Seconds(), 1e-3)
			pct := ""
			if size > 0 {
				pct = fmt.Sprintf("%3.0f%% ", 100*float64(p.Bytes)/float64(size))
			}
			fmt.Fprintf(stderr, "\r%s: %s%d rows stored, %.0f rows/s   ", name, pct, rows, rate)
		}
	}
	res, err := importer.Import(ctx, r, cfg)
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	return res, err
}

func printSummary(w io.Writer, name string, res importer.Result, maxErrors int) {
	fmt.Fprintf(w, "%s: rows %d, imported %d, duplicates %d, rejected %d\n", name, res.Rows, res.Imported, res.Duplicates, res.Rejected)
	for i, e := range res.Errors {
		if i == maxErrors {
			fmt.Fprintf(w, "  ... and %d more rejected rows\n", res.Rejected-maxErrors)
			break
		}
		fmt.Fprintln(w, "  "+e.String())
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

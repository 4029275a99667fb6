package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ExportPath is the collector's NDJSON export of every stored trace.
const ExportPath = "/v1/traces/export"

// Export reads GET baseURL/v1/traces/export, NDJSON with one trace per
// line, and calls fn with every value of an "id" member of a line that is
// IDLen long: the trace's own id and any other "id" member a trace might
// carry (bench events have none). It does not decode the JSON otherwise,
// so that checking millions of traces stays cheap. It returns the number
// of lines read. No key is sent: the read side answers loopback clients.
func Export(ctx context.Context, baseURL string, fn func(ID)) (lines int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+ExportPath, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("ingest: GET %s: %s: %s", ExportPath, resp.Status, bytes.TrimSpace(b))
	}
	return scanIDs(resp.Body, fn)
}

func scanIDs(r io.Reader, fn func(ID)) (lines int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte // a line longer than br's buffer
	key := []byte(`"id":"`)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			lines++
			for rest := line; ; {
				i := bytes.Index(rest, key)
				if i < 0 {
					break
				}
				rest = rest[i+len(key):]
				if len(rest) > IDLen && rest[IDLen] == '"' {
					fn(ID(rest[:IDLen]))
				}
			}
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
	}
}

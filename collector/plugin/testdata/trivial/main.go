// Command trivial is the smallest useful plugin, for tests and the
// benchmark: a record becomes one thumbs-up event whose id is the record,
// and the enricher tags traces. A few records ask for other answers.
package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

func main() {}

var one = 1.0

func init() {
	plugin.HandleTransform(transform)
	plugin.HandleEnrich(enrich)
}

func transform(record []byte) ([]wire.Event, error) {
	if len(record) > 0 && record[0] == '!' { // special requests
		switch s := string(record[1:]); {
		case s == "refuse":
			return nil, errors.New("refused on request")
		case s == "none":
			return nil, nil
		case s == "panic":
			panic("handler panicked")
		case s == "noid":
			return []wire.Event{{Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}, nil
		case strings.HasPrefix(s, "bad-"):
			// Invalid for the collector: thumbs are 0 or 1.
			v := 7.0
			return []wire.Event{{ID: s, Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &v}}, nil
		}
	}
	return []wire.Event{{ID: string(record), Kind: wire.KindThumbs, Touchpoint: "trivial", Value: &one}}, nil
}

func enrich(t *trace.Trace) (plugin.Patch, error) {
	if t.Data.Text == "fail" {
		return plugin.Patch{}, errors.New("cannot tag this one")
	}
	p := plugin.Patch{Props: map[string]string{"enriched_by": "trivial", "text_bytes": strconv.Itoa(len(t.Data.Text))}}
	if strings.Contains(t.Data.Text, "bad") {
		p.Sentiment = trace.Negative
	}
	return p, nil
}

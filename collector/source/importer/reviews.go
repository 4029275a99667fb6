package importer

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Presets are ready-made mappings for well-known exports, chosen with
// -preset NAME (command) or preset=NAME (POST /v1/import). A mapping file,
// -col/-set flags and col./set. parameters override a preset field by
// field.
//
// "reviews" (channel review) and "app-reviews" (channel store) read the
// exports of review sites and app stores: Google Play Console review
// CSVs, App Store Connect ratings and reviews, Trustpilot review exports,
// and any file with columns named like rating, title, body, author, date,
// version. Each review becomes one trace of kind star on the scale 1..5
// (touchpoint "reviews" unless set), with:
//
//	value        rating | stars | star rating | score | review rating
//	text         body | review | review text | content | text | comment
//	props.title  title | review title | headline | summary
//	props.author author | nickname | reviewer | reviewer name | consumer name | user name | username
//	props.version version | app version | app version name | app version code
//	lang         language | reviewer language | lang
//	occurred_at  date | review date | review submit date and time | review last update date and time | created at | submitted at
//	id           review id | review_id | id | review link
//
// Column names match without regard to case. Dates are RFC 3339, or
// "2006-01-02 15:04:05", or "2006-01-02" (UTC). Without an id column a
// review's trace id hashes the whole row, so importing the export again
// adds nothing.
var Presets = map[string]Mapping{
	"reviews":     reviews("review"),
	"app-reviews": reviews("store"),
}

func reviews(channel string) Mapping {
	return Mapping{
		Columns: map[string]string{
			"value":         "rating|stars|star rating|score|review rating",
			"text":          "body|review|review text|content|text|comment",
			"props.title":   "title|review title|headline|summary",
			"props.author":  "author|nickname|reviewer|reviewer name|consumer name|user name|username",
			"props.version": "version|app version|app version name|app version code",
			"lang":          "language|reviewer language|lang",
			"occurred_at":   "date|review date|review submit date and time|review last update date and time|created at|submitted at",
			"id":            "review id|review_id|id|review link",
		},
		Defaults: map[string]string{
			"kind":       "star",
			"touchpoint": "reviews",
			"channel":    channel,
			"scale_min":  "1",
			"scale_max":  "5",
		},
		TimeLayout: time.RFC3339Nano + "|2006-01-02 15:04:05|2006-01-02",
	}
}

// Preset returns the preset called name.
func Preset(name string) (Mapping, error) {
	m, ok := Presets[name]
	if !ok {
		names := make([]string, 0, len(Presets))
		for n := range Presets {
			names = append(names, n)
		}
		sort.Strings(names)
		return Mapping{}, fmt.Errorf("importer: unknown preset %q (presets: %s)", name, strings.Join(names, ", "))
	}
	return m.Override(Mapping{}), nil // a copy: callers may change it
}

// findColumn returns the index in names of the first of the columns spec
// lists ("a|b|c") that names has, matched exactly or else without regard
// to case; -1 when none.
func findColumn(index map[string]int, names []string, spec string) int {
	for _, c := range strings.Split(spec, "|") {
		if i, ok := index[c]; ok {
			return i
		}
		if i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(strings.TrimSpace(n), c) }); i >= 0 {
			return i
		}
	}
	return -1
}

// parseTime parses s with the first of layouts ("a|b") that matches.
func parseTime(layouts, s string) (time.Time, error) {
	var first error
	for _, l := range strings.Split(layouts, "|") {
		t, err := time.Parse(l, s)
		if err == nil {
			return t, nil
		}
		if first == nil {
			first = err
		}
	}
	return time.Time{}, first
}

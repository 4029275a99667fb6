package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rastrohq/rastro/sdk/wire"
)

// IDLen is the length of a UUIDv7 in canonical form, as wire.NewID makes it.
const IDLen = 36

// ID is an event id as it appears in a body.
type ID [IDLen]byte

// Bodies makes wire protocol v1 batch bodies of a fixed number of events,
// every one with ids never used before.
//
// It encodes a few batches once, with wire.WriteBatch, and remembers where
// each event's id sits in them. Fill copies one of those and writes fresh
// UUIDv7s (wire.NewUUIDAt) over the old ids, which costs a copy and one id
// per event instead of an encoding. Bodies is safe for concurrent use.
type Bodies struct {
	batch     int
	templates []template
	bytes     int // total body bytes of all templates
}

type template struct {
	body  []byte
	idOff []int // where each event's id starts in body
}

// minDistinctEvents is how many different events the templates of a
// Bodies hold together, so that batches of one do not all carry the same
// kind, touchpoint and user.
const minDistinctEvents = 64

// NewBodies returns a Bodies for batches of batch events (at least 1).
// seed picks the event contents; the ids are always fresh.
func NewBodies(batch int, seed uint64) *Bodies {
	batch = max(batch, 1)
	r := rand.New(rand.NewPCG(seed, 0x5a17))
	now := time.Now().UTC().Truncate(time.Millisecond)
	n := (minDistinctEvents + batch - 1) / batch
	bs := &Bodies{batch: batch, templates: make([]template, n)}
	for i := range bs.templates {
		b := wire.Batch{
			SentAt: now,
			SDK:    wire.SDKInfo{Name: "rastro-bench", Version: "1"},
			Events: make([]wire.Event, batch),
		}
		for j := range b.Events {
			b.Events[j] = RandomEvent(r, now.Add(-time.Duration(r.IntN(60_000))*time.Millisecond))
		}
		var buf bytes.Buffer
		if err := wire.WriteBatch(&buf, &b); err != nil {
			panic(fmt.Sprintf("ingest: encoding a batch: %v", err)) // only a bug in wire can get here
		}
		t := template{body: buf.Bytes(), idOff: make([]int, batch)}
		from := 0
		for j, e := range b.Events {
			// Ids are unique, so the first match after the previous id is
			// this event's id (nothing before it in the event is an id).
			k := bytes.Index(t.body[from:], []byte(`"id":"`+e.ID+`"`))
			if k < 0 {
				panic("ingest: event id not found in its encoded batch")
			}
			t.idOff[j] = from + k + len(`"id":"`)
			from = t.idOff[j] + IDLen
		}
		bs.templates[i] = t
		bs.bytes += len(t.body)
	}
	return bs
}

// Batch returns the number of events per body.
func (bs *Bodies) Batch() int { return bs.batch }

// EventBytes returns the average encoded size of one event, envelope
// included.
func (bs *Bodies) EventBytes() float64 {
	return float64(bs.bytes) / float64(len(bs.templates)*bs.batch)
}

// Fill writes body number i (any int; the templates rotate) with fresh ids
// into dst, reusing its storage, and returns it.
func (bs *Bodies) Fill(dst []byte, i int) []byte {
	t := &bs.templates[uint(i)%uint(len(bs.templates))]
	dst = append(dst[:0], t.body...)
	now := time.Now() // one clock reading per body; the ids still increase
	for _, off := range t.idOff {
		wire.NewUUIDAt(now).Append(dst[off:off])
	}
	return dst
}

// IDs appends the ids of a body that Fill returned for the same i to dst.
func (bs *Bodies) IDs(dst []ID, body []byte, i int) []ID {
	t := &bs.templates[uint(i)%uint(len(bs.templates))]
	for _, off := range t.idOff {
		dst = append(dst, ID(body[off:off+IDLen]))
	}
	return dst
}

// IDAt returns the id of event j of a body that Fill returned for i.
func (bs *Bodies) IDAt(body []byte, i, j int) ID {
	t := &bs.templates[uint(i)%uint(len(bs.templates))]
	return ID(body[t.idOff[j] : t.idOff[j]+IDLen])
}

// Gzipped returns n bodies, numbers 0 to n-1, each with fresh ids and
// compressed with gzip at BestSpeed as the SDK does. It uses every core:
// call it before the clock starts.
func (bs *Bodies) Gzipped(n int) [][]byte {
	out := make([][]byte, n)
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var (
				plain []byte
				buf   bytes.Buffer
				zw    gzipWriter
			)
			for i := w; i < n; i += workers {
				plain = bs.Fill(plain, i)
				out[i] = bytes.Clone(zw.compress(&buf, plain))
			}
		})
	}
	wg.Wait()
	return out
}

// Pools of realistic field values.
var (
	touchpoints = []string{"checkout.payment", "checkout.shipping", "onboarding.welcome", "support.chat",
		"support.call", "search.results", "product.page", "account.settings", "order.tracking", "app.review"}
	journeys = []string{"purchase", "onboarding", "support", "discovery", "retention"}
	channels = []wire.Channel{wire.ChannelWeb, wire.ChannelWeb, wire.ChannelApp, wire.ChannelChat,
		wire.ChannelEmail, wire.ChannelVoice, wire.ChannelBot}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	}
	targets  = []string{"button#pay-now", "a.track-order", "button.add-to-cart", "nav#help", "button#chat-open"}
	comments = []string{"The agent solved it in one call, thanks!", "Checkout kept failing with my card.",
		"Delivery was two days late and nobody told me.", "Great app, but search is slow.", "ok"}
	plans = []string{"free", "pro", "team"}
	langs = []string{"en", "en", "pt-BR", "de", "es"}
)

// benchKinds is the mix of kinds in bench batches.
var benchKinds = []wire.Kind{wire.KindStar, wire.KindNPS, wire.KindCSAT, wire.KindClick, wire.KindComment}

// RandomEvent returns a valid event of a random kind (star, nps, csat,
// click or comment) with a touchpoint, channel, journey, user and session
// ids, a context on the web and in apps, and a prop: about 330 bytes as
// JSON. Its ID is a fresh wire.NewID().
func RandomEvent(r *rand.Rand, at time.Time) wire.Event {
	tp := touchpoints[r.IntN(len(touchpoints))]
	e := wire.Event{
		ID:         wire.NewID(),
		Kind:       benchKinds[r.IntN(len(benchKinds))],
		Touchpoint: tp,
		Channel:    channels[r.IntN(len(channels))],
		Journey:    journeys[r.IntN(len(journeys))],
		OccurredAt: at,
		UserID:     "u-" + strconv.Itoa(10000+r.IntN(90000)),
		SessionID:  "s-" + strconv.FormatUint(r.Uint64()>>16, 36),
		Props:      map[string]string{"plan": plans[r.IntN(len(plans))]},
	}
	switch e.Channel {
	case wire.ChannelWeb:
		e.Context = &wire.Context{URL: "https://shop.example.com/" + strings.ReplaceAll(tp, ".", "/"),
			UserAgent: userAgents[r.IntN(len(userAgents))]}
	case wire.ChannelApp:
		e.Context = &wire.Context{AppVersion: "4." + strconv.Itoa(r.IntN(20)) + ".0", UserAgent: "ShopApp/4 (iOS 18.1)"}
	}
	val := func(lo, hi int) *float64 { v := float64(lo + r.IntN(hi-lo+1)); return &v }
	switch e.Kind {
	case wire.KindStar, wire.KindCSAT:
		e.Value = val(1, 5)
	case wire.KindNPS:
		e.Value = val(0, 10)
	case wire.KindClick:
		e.Target = targets[r.IntN(len(targets))]
	case wire.KindComment:
		e.Text = comments[r.IntN(len(comments))]
		e.Lang = langs[r.IntN(len(langs))]
	}
	if e.Channel == wire.ChannelChat || e.Channel == wire.ChannelVoice {
		e.AgentID = "ag-" + strconv.Itoa(100+r.IntN(50))
		e.InteractionID = "int-" + strconv.FormatUint(r.Uint64()>>24, 36)
	}
	return e
}

// gzipWriter compresses bodies one after another, reusing its writer.
type gzipWriter struct{ zw *gzip.Writer }

// compress returns plain compressed with gzip at BestSpeed, in buf.
func (g *gzipWriter) compress(buf *bytes.Buffer, plain []byte) []byte {
	buf.Reset()
	if g.zw == nil {
		g.zw, _ = gzip.NewWriterLevel(buf, gzip.BestSpeed)
	} else {
		g.zw.Reset(buf)
	}
	_, _ = g.zw.Write(plain)
	_ = g.zw.Close()
	return buf.Bytes()
}

package storetest

import (
	"time"

	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// The two UTC days of the fixture.
var (
	day0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC) // "2025-03-10"
	day1 = time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC) // "2025-03-11"
)

func at(day time.Time, hour, minute int) time.Time {
	return day.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

func f(v float64) *float64 { return &v }

// fixture returns 13 traces on 3 touchpoints, 2 days and 2 agents, in
// arrival order (f01..f13), which is not their time order. Scores follow
// the normalizer: (value-min)/(max-min); sentiment negative below 0.4,
// positive above 0.6; nps detractor 0-6, passive 7-8, promoter 9-10.
//
//	id   time        touchpoint channel journey user agent kind    value [min,max] score sentiment nps_class
//	f01  day0 10:00  checkout   web     buy     u1   -     csat    5  [1,5]   1     positive
//	f02  day0 10:01  checkout   web     buy     u2   -     csat    4  [1,5]   0.75  positive
//	f03  day1 10:00  checkout   app     buy     u1   -     csat    2  [1,5]   0.25  negative
//	f04  day1 10:01  checkout   app     buy     -    -     click   -          -     -
//	f05  day0 11:00  support    chat    help    u3   ana   nps     10 [0,10]  1     positive  promoter
//	f06  day0 11:01  support    chat    help    u4   ana   nps     9  [0,10]  0.9   positive  promoter
//	f07  day1 11:00  support    chat    help    u5   bob   nps     7  [0,10]  0.7   positive  passive
//	f08  day1 11:01  support    email   help    u1   bob   nps     3  [0,10]  0.3   negative  detractor
//	f09  day0 11:02  support    chat    help    u3   ana   ces     7  [1,7]   1     positive
//	f10  day1 11:02  support    chat    help    u5   bob   ces     1  [1,7]   0     negative
//	f11  day1 11:03  support    chat    help    u4   ana   ces     4  [1,7]   0.5   neutral
//	f12  day0 12:00  home       web     -       -    -     comment -          -     -
//	f13  day1 12:00  home       web     -       u2   -     star    4  [1,5]   0.75  positive
func fixture() []trace.Trace {
	return []trace.Trace{
		rated("f01", at(day0, 10, 0), "checkout", wire.ChannelWeb, "buy", "u1", "", wire.KindCSAT, 5, 1, 5, 1, trace.Positive, ""),
		rated("f02", at(day0, 10, 1), "checkout", wire.ChannelWeb, "buy", "u2", "", wire.KindCSAT, 4, 1, 5, 0.75, trace.Positive, ""),
		rated("f03", at(day1, 10, 0), "checkout", wire.ChannelApp, "buy", "u1", "", wire.KindCSAT, 2, 1, 5, 0.25, trace.Negative, ""),
		{
			SpecVersion: trace.SpecVersion, ID: "f04", Source: "rastro://test", Type: trace.TypePrefix + "click",
			Time: at(day1, 10, 1), DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
			Data: trace.Data{
				Kind: wire.KindClick, Touchpoint: "checkout", Channel: wire.ChannelApp, Journey: "buy",
				AnonymousID: "anon-4", Target: "pay-button",
				Context:    &wire.Context{URL: "https://shop.example/checkout", UserAgent: "test"},
				ReceivedAt: at(day1, 10, 2), Origin: trace.OriginWire,
			},
		},
		rated("f05", at(day0, 11, 0), "support", wire.ChannelChat, "help", "u3", "ana", wire.KindNPS, 10, 0, 10, 1, trace.Positive, trace.Promoter),
		rated("f06", at(day0, 11, 1), "support", wire.ChannelChat, "help", "u4", "ana", wire.KindNPS, 9, 0, 10, 0.9, trace.Positive, trace.Promoter),
		rated("f07", at(day1, 11, 0), "support", wire.ChannelChat, "help", "u5", "bob", wire.KindNPS, 7, 0, 10, 0.7, trace.Positive, trace.Passive),
		rated("f08", at(day1, 11, 1), "support", wire.ChannelEmail, "help", "u1", "bob", wire.KindNPS, 3, 0, 10, 0.3, trace.Negative, trace.Detractor),
		rated("f09", at(day0, 11, 2), "support", wire.ChannelChat, "help", "u3", "ana", wire.KindCES, 7, 1, 7, 1, trace.Positive, ""),
		rated("f10", at(day1, 11, 2), "support", wire.ChannelChat, "help", "u5", "bob", wire.KindCES, 1, 1, 7, 0, trace.Negative, ""),
		rated("f11", at(day1, 11, 3), "support", wire.ChannelChat, "help", "u4", "ana", wire.KindCES, 4, 1, 7, 0.5, trace.Neutral, ""),
		{
			SpecVersion: trace.SpecVersion, ID: "f12", Source: "rastro://test", Type: trace.TypePrefix + "comment",
			Time: at(day0, 12, 0), DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
			Data: trace.Data{
				Kind: wire.KindComment, Touchpoint: "home", Channel: wire.ChannelWeb,
				Text: "Where is the \"order\" button? ünïcödé ✓", Lang: "en",
				Props:      map[string]string{"plan": "pro", "ab": "b"},
				ReceivedAt: at(day0, 12, 1), Origin: trace.OriginWire,
			},
		},
		rated("f13", at(day1, 12, 0), "home", wire.ChannelWeb, "", "u2", "", wire.KindStar, 4, 1, 5, 0.75, trace.Positive, ""),
	}
}

// rated returns a trace.Trace carrying a rating.
func rated(id string, t time.Time, touchpoint string, ch wire.Channel, journey, user, agent string,
	kind wire.Kind, value, lo, hi, score float64, sentiment, npsClass string,
) trace.Trace {
	return trace.Trace{
		SpecVersion:     trace.SpecVersion,
		ID:              id,
		Source:          "rastro://test",
		Type:            trace.TypePrefix + string(kind),
		Time:            t,
		DataContentType: trace.ContentType,
		DataSchema:      trace.DataSchema,
		Data: trace.Data{
			Kind:        kind,
			Touchpoint:  touchpoint,
			Channel:     ch,
			Journey:     journey,
			AnonymousID: "anon-" + id,
			UserID:      user,
			SessionID:   "s-" + id,
			AgentID:     agent,
			Value:       f(value),
			Min:         f(lo),
			Max:         f(hi),
			Score:       f(score),
			Sentiment:   sentiment,
			NPSClass:    npsClass,
			ReceivedAt:  t.Add(time.Second),
			Origin:      trace.OriginWire,
		},
	}
}

// fixtureByTime are the fixture ids in time order.
var fixtureByTime = []string{
	"f01", "f02", "f05", "f06", "f09", "f12", // day0
	"f03", "f04", "f07", "f08", "f10", "f11", "f13", // day1
}

// click returns a minimal trace.Trace with id at t.
func click(id string, t time.Time) trace.Trace {
	return trace.Trace{
		SpecVersion:     trace.SpecVersion,
		ID:              id,
		Source:          "rastro://test",
		Type:            trace.TypePrefix + "click",
		Time:            t,
		DataContentType: trace.ContentType,
		DataSchema:      trace.DataSchema,
		Data: trace.Data{
			Kind:       wire.KindClick,
			Touchpoint: "page",
			Channel:    wire.ChannelWeb,
			ReceivedAt: t,
			Origin:     trace.OriginWire,
		},
	}
}

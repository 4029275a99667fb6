// Package segment is the collector's Segment-compatible source: teams that
// already run a Segment or RudderStack SDK point it at Rastro, and the
// feedback among their calls becomes traces.
//
// # Pointing an SDK at the collector
//
// The collector answers POST /segment/v1/batch ({"batch": [CALL, ...]})
// and POST /segment/v1/track (one call). With analytics-go:
//
//	client, _ := analytics.NewWithConfig(writeKey, analytics.Config{
//		Endpoint: "http://127.0.0.1:4380/segment", // the SDK appends /v1/batch
//	})
//
// The write key is one of the collector's write keys, sent as Segment's
// SDKs send it: HTTP Basic with the key as user name and an empty
// password. "Authorization: Bearer <key>", ?key=<key> and a "writeKey"
// field in the body (analytics.js beacons) work too. Origins, rate limits,
// body limits (512 KiB, 500 calls), gzip and the bound on bytes in flight
// are those of POST /v1/batch, with its statuses.
//
// # The mapping
//
// Only track calls carry feedback; identify, page, screen, group and alias
// calls are accepted and counted as "ignored". A track call's kind is
// chosen by the first of these properties present:
//
//	kind            an explicit wire kind (click, star, ..., qa); its value
//	                from the kind's own property below, else from "value"
//	nps             nps, 0..10
//	csat            csat, 1..5 (scale_max may change 5)
//	ces             ces, 1..7 (scale_max may change 7)
//	rating, stars   star, 1..5 (scale_max may change 5)
//	thumbs          thumbs: true/false, up/down, yes/no, 1/0, 👍/👎
//	emoji           emoji: a number 1..5, or one of the usual faces
//	                (😡 😞 😐 🙂 😍 and close kin), or any emoji with "value"
//	comment, text   comment
//
// A track call with none of them is not feedback: it is counted as
// "ignored", never stored and never an error, so a team can send its whole
// event stream (see RATIONALE.md). Numbers may arrive as JSON numbers or
// strings.
//
// The other fields:
//
//	messageId                 id, the dedupe key (over 64 bytes: a stable hash of it)
//	event                     touchpoint, unless properties.touchpoint is set
//	userId, anonymousId       user_id, anonymous_id
//	timestamp                 occurred_at, corrected by sentAt for clock skew
//	properties.comment|text   text (comment wins)
//	properties.channel        channel; else "app" when context.app.version is
//	                          set, "web" when context.page.url is, else "other"
//	properties.journey, agent_id, interaction_id, session_id, target, lang,
//	scale_min, scale_max      the fields of the same name
//	context.page.url, context.page.referrer, context.userAgent,
//	context.app.version       context url, referrer, user_agent, app_version
//	context.locale            lang
//	other scalar properties   props, as strings, at most 32 in key order;
//	                          objects and arrays are dropped
//
// The result is a [wire.Event], judged by [wire.Event.Validate] and
// normalized by [normalize.Event] with origin "segment/v1", exactly like an
// event from Rastro's own SDK; the trace source is the write key's name.
//
// # The answer
//
// Like Segment, 200 {"success": true}, with what became of each call:
//
//	{"success": true, "accepted": 3, "duplicates": 1, "ignored": 5,
//	 "rejected": [{"index": 4, "id": "m-9", "field": "value", "error": "must be between 0 and 10 for kind nps"}]}
//
// A rejected call is never stored; SDKs do not retry a 200, so a bad call
// is not sent again. A retried batch is answered with its calls as
// duplicates: each messageId is stored once.
package segment

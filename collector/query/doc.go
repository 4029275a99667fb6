// Package query answers the read side of the collector over HTTP:
//
//	GET /v1/traces          one page of traces, oldest first, with a cursor
//	GET /v1/traces/export   every matching trace as NDJSON, streamed
//	GET /v1/summary         quality numbers per touchpoint, channel, journey,
//	                        agent, kind or day
//
// # Filters
//
// All three take the same filters as query parameters: from and to (RFC
// 3339 times, or a duration such as 24h meaning that long ago), touchpoint,
// channel, kind, journey, user and agent. /v1/traces also takes limit
// (default 100, at most 1000) and cursor (the "next" of the previous page).
// A bad parameter is a 400 whose message names it.
//
// # Summary numbers
//
// For each group: count; mean score over the traces that carry one; CSAT %
// (the share of CSAT answers of 4 or 5 out of 5, score >= 0.75); NPS
// (promoters % minus detractors %); the CES mean of raw values; and the
// share of scored traces with negative sentiment. A number is null when its
// group has nothing to compute it from. See [store.Sums].
//
// Reading is not open to write keys: the collector puts these handlers
// behind its read-key check.
package query

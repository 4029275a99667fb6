// Package insights turns stored traces into what a CX team acts on: trends
// per touchpoint, channel and journey, the alignment of internal QA with
// what customers say, one customer's journey, and alerts.
//
// Every number can be computed from a [store.Store] through Scan alone, so
// the package works over any store, and the summary numbers come from
// [store.Sums], the one definition shared with GET /v1/summary. A store
// that sums traces itself ([store.Aggregator]; the embedded store reads
// its hourly and daily rollups) serves the trends, and one that streams
// the judgements of a range without decoding whole traces (the embedded
// store's ScanJudgements) serves the alignment; tests hold both paths to
// the same numbers. Over a million stored traces every query of
// BenchmarkInsights1M answers in under 200 ms (README, "Numbers").
//
// # Trends
//
// [ComputeTrends] buckets traces per hour, UTC day or ISO week, per key of
// a dimension:
//
//	tr, err := insights.ComputeTrends(ctx, st, insights.TrendsQuery{
//		By:     store.ByTouchpoint,
//		Bucket: insights.Day,
//		Filter: store.Filter{From: time.Now().AddDate(0, 0, -30)},
//	})
//	for _, s := range tr.Series { // worst mean score first
//		fmt.Println(s.Key, *s.Total.MeanScore, len(s.Points))
//	}
//
// Each point carries the count, mean score, CSAT %, NPS, CES mean and
// negative share of its bucket, so a reader sees how much data backs it.
//
// # When a change is more than noise
//
// Each series' last bucket is compared with the baseline of all its
// earlier buckets by a two-proportion z-test ([TwoProportionZ]) on the
// share of satisfied CSAT answers, or, when either side has no CSAT
// answer, on the share of scored traces with positive sentiment:
//
//	p = (x1 + x2) / (n1 + n2)
//	z = (x1/n1 - x2/n2) / sqrt(p (1-p) (1/n1 + 1/n2))
//
// A change with |z| >= 1.96 (two-sided, 5%) is marked significant, "up" or
// "down". The test assumes independent answers and is rough below about
// five successes and five failures per side; the counts are in the result
// so a reader can judge.
//
// # QA against customers
//
// [ComputeAlignment] reads traces of kind qa, whose raw value on
// [min, max] it normalizes to (value-min)/(max-min), and customer
// judgements (any trace with a score). It joins them on interaction_id,
// and, for QA without an interaction id, per agent and period. Per agent
// it reports the QA mean, the customer mean, their counts and a quadrant:
//
//	high QA, low customer   following the script but not satisfying customers
//	low QA, high customer   going off-script to help
//	aligned high, aligned low
//
// with thresholds that default to 0.7 (a mean equal to its threshold is
// high). Pearson's r between the QA and customer score of the joined pairs
// is given per team (props["team"], and "all") over the whole range and
// per period.
//
// # Journeys
//
// [ComputeJourney] lists every trace of one user id or anonymous id in
// time order, with the score line.
//
// # Alerts
//
// An [Alerter] evaluates [Rule]s every interval: "CSAT % (or mean score)
// of touchpoint X over the last N traces below Y" ([RuleBelow]) and "K
// negative traces in M minutes" ([RuleNegatives]). When a rule starts
// firing it POSTs a [Payload], or a Slack-compatible {"text": ...} body,
// to the webhook, retrying network errors, 408, 429 and 5xx with
// exponential backoff; other statuses are permanent. A rule fires once per
// episode: it re-arms only when an evaluation finds its condition false.
//
//	a, err := insights.NewAlerter(insights.AlertConfig{
//		WebhookURL: "https://hooks.slack.com/services/...",
//		Slack:      true,
//		Rules: []insights.Rule{
//			{Name: "checkout-csat", Kind: insights.RuleBelow, Touchpoint: "checkout", Last: 50, Below: 70},
//			{Name: "burst", Kind: insights.RuleNegatives, Count: 10, Within: 5 * time.Minute},
//		},
//	}, st)
//	go a.Run(ctx)
//
// # HTTP
//
// [Handler] serves GET /v1/insights/trends, /alignment, /journey and
// /alerts as JSON. They take the filters of GET /v1/traces (from, to,
// touchpoint, channel, kind, journey, user, agent) and: trends by
// (touchpoint, channel, journey) and bucket (hour, day, week); alignment
// qa_threshold, customer_threshold and period; journey user or anonymous.
// A bad parameter is a 400 whose message names it. The collector puts the
// handler behind its read-key check.
package insights

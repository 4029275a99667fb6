// Package normalize turns what arrives at the collector into the common
// trace format v1 ([trace.Trace]): one comparable satisfaction score per
// trace, whatever the kind of feedback.
//
// # Scores
//
// Every judging kind maps its raw value linearly onto [0,1] over the scale
// the event was given on:
//
//	score = (value - min) / (max - min)
//
// so 4 of 5 stars is 0.75, NPS 9 is 0.9, thumbs up is 1 and down is 0, CSAT
// 2 of 5 is 0.25, CES 6 of 7 is 0.8333… (Rastro reads CES in its CES 2.0
// form, "the company made it easy for me", where higher is better). Emoji
// scales run from the saddest face (1) to the happiest. Kinds that carry no
// customer judgement have no score: click, comment, and qa, which is an
// internal quality-monitoring score kept as the raw value so that insights
// can set it against what customers say.
//
// # Sentiment and NPS class
//
// Sentiment comes from the score: negative below 0.4, positive above 0.6,
// neutral in between (on 5 stars: 1-2 negative, 3 neutral, 4-5 positive).
// NPS answers also carry their class: detractor 0-6, passive 7-8,
// promoter 9-10.
//
// An event without a channel gets channel "other", so every trace has one.
//
// # Time
//
// A trace's time is when the customer acted (the event's occurred_at),
// corrected for the client's clock skew with the batch's sent_at: a client
// whose clock is ahead by an hour has its times moved back by an hour. Skews
// under a second are left alone. An event without occurred_at takes the
// time it was received.
package normalize

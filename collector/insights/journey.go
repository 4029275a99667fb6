package insights

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// MaxJourneySteps bounds the steps of a Journey; beyond it the journey is
// marked Truncated.
const MaxJourneySteps = 5000

// errStop ends a Scan early.
var errStop = errors.New("insights: stop")

// JourneyQuery asks for the journey of one customer.
type JourneyQuery struct {
	// UserID or AnonymousID names the customer; exactly one is required.
	UserID, AnonymousID string
	// Filter bounds the journey in time (From, To) and may narrow it;
	// its UserID, Limit and Cursor are ignored.
	Filter store.Filter
}

// Journey is every trace of one customer in time order.
type Journey struct {
	UserID      string `json:"user_id,omitempty"`
	AnonymousID string `json:"anonymous_id,omitempty"`
	Steps       []Step `json:"steps"`
	// Scores is the score line: the steps that carry a score.
	Scores []ScorePoint `json:"scores"`
	// Summary summarizes the steps; its key is the customer.
	Summary   store.Group `json:"summary"`
	Truncated bool        `json:"truncated,omitempty"`
}

// Step is one trace of a journey.
type Step struct {
	ID            string       `json:"id"`
	Time          time.Time    `json:"time"`
	Kind          wire.Kind    `json:"kind"`
	Touchpoint    string       `json:"touchpoint"`
	Channel       wire.Channel `json:"channel"`
	Journey       string       `json:"journey,omitempty"`
	AgentID       string       `json:"agent_id,omitempty"`
	InteractionID string       `json:"interaction_id,omitempty"`
	Value         *float64     `json:"value"`
	Score         *float64     `json:"score"`
	Sentiment     string       `json:"sentiment,omitempty"`
	Text          string       `json:"text,omitempty"`
	Lang          string       `json:"lang,omitempty"`
}

// ScorePoint is one point of the score line.
type ScorePoint struct {
	Time  time.Time `json:"time"`
	Score float64   `json:"score"`
}

// ComputeJourney returns every trace of one customer in time order.
// Looking up an anonymous id scans every trace of q.Filter, since stores
// index user ids only.
func ComputeJourney(ctx context.Context, st store.Store, q JourneyQuery) (*Journey, error) {
	if (q.UserID == "") == (q.AnonymousID == "") {
		return nil, &ParamError{Name: "user", Reason: "give a user id (user) or an anonymous id (anonymous), not both"}
	}
	f := q.Filter
	f.UserID, f.Limit, f.Cursor = q.UserID, 0, ""
	j := &Journey{UserID: q.UserID, AnonymousID: q.AnonymousID, Steps: []Step{}, Scores: []ScorePoint{}}
	var s store.Sums
	err := st.Scan(ctx, f, func(t *trace.Trace) error {
		d := &t.Data
		if q.AnonymousID != "" && d.AnonymousID != q.AnonymousID {
			return nil
		}
		if len(j.Steps) == MaxJourneySteps {
			j.Truncated = true
			return errStop
		}
		s.Add(d)
		j.Steps = append(j.Steps, Step{ID: t.ID, Time: t.Time, Kind: d.Kind, Touchpoint: d.Touchpoint,
			Channel: d.Channel, Journey: d.Journey, AgentID: d.AgentID, InteractionID: d.InteractionID,
			Value: d.Value, Score: d.Score, Sentiment: d.Sentiment, Text: d.Text, Lang: d.Lang})
		if d.Score != nil {
			j.Scores = append(j.Scores, ScorePoint{Time: t.Time, Score: *d.Score})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("insights: journey: %w", err)
	}
	j.Summary = s.Group(q.UserID + q.AnonymousID)
	return j, nil
}

// Comment is a trace carrying text, for the latest comments.
type Comment struct {
	ID         string       `json:"id"`
	Time       time.Time    `json:"time"`
	Touchpoint string       `json:"touchpoint"`
	Channel    wire.Channel `json:"channel"`
	Kind       wire.Kind    `json:"kind"`
	Score      *float64     `json:"score"`
	Text       string       `json:"text"`
	Lang       string       `json:"lang,omitempty"`
	UserID     string       `json:"user_id,omitempty"`
}

// NegativeComments returns the latest n traces of f with text and negative
// sentiment, newest first.
func NegativeComments(ctx context.Context, st store.Store, f store.Filter, n int) ([]Comment, error) {
	f.Limit, f.Cursor = 0, ""
	ring := make([]Comment, 0, n)
	next := 0
	err := st.Scan(ctx, f, func(t *trace.Trace) error {
		d := &t.Data
		if d.Text == "" || d.Sentiment != trace.Negative || n <= 0 {
			return nil
		}
		c := Comment{ID: t.ID, Time: t.Time, Touchpoint: d.Touchpoint, Channel: d.Channel, Kind: d.Kind,
			Score: d.Score, Text: d.Text, Lang: d.Lang, UserID: d.UserID}
		if len(ring) < n {
			ring = append(ring, c)
		} else {
			ring[next] = c
		}
		next = (next + 1) % n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insights: comments: %w", err)
	}
	out := make([]Comment, 0, len(ring))
	for i := range ring {
		// newest first: walk back from the last written slot
		out = append(out, ring[(next-1-i+2*len(ring))%len(ring)])
	}
	return out, nil
}

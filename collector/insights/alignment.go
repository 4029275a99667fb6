package insights

import (
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/normalize"
	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// DefaultThreshold is the default score from which a QA or customer mean
// counts as high.
const DefaultThreshold = 0.7

// Quadrants place an agent by QA mean and customer mean.
const (
	// HighQALowCustomer: following the script but not satisfying customers.
	HighQALowCustomer = "high_qa_low_customer"
	// LowQAHighCustomer: going off-script to help.
	LowQAHighCustomer = "low_qa_high_customer"
	AlignedHigh       = "aligned_high"
	AlignedLow        = "aligned_low"
)

// TeamAll is the team of the correlation over every team.
const TeamAll = "all"

// AlignmentQuery asks for an Alignment.
type AlignmentQuery struct {
	// Filter selects the traces; its Kind, Limit and Cursor are ignored.
	Filter store.Filter
	// QAThreshold is the QA mean from which an agent counts as high QA.
	// Defaults to DefaultThreshold.
	QAThreshold float64
	// CustomerThreshold is the customer mean from which an agent counts as
	// high customer. Defaults to DefaultThreshold.
	CustomerThreshold float64
	// Period is the width of the periods that join QA without an
	// interaction id to the customer scores of the same agent, and of the
	// periods of the correlations. Defaults to Week.
	Period Bucket
}

// Alignment compares internal QA with what customers say, per agent.
type Alignment struct {
	QAThreshold       float64 `json:"qa_threshold"`
	CustomerThreshold float64 `json:"customer_threshold"`
	Period            Bucket  `json:"period"`
	// Agents are ordered by agent id.
	Agents []AgentAlignment `json:"agents"`
	// Pairs are the joined (QA, customer) observations the correlations
	// are computed from, ordered by period, agent and interaction.
	Pairs []Pair `json:"pairs"`
	// Correlations are Pearson's r between the QA and customer score of
	// the pairs, per team and period: first every team over the whole
	// range (period null), then per period; team "all" before the teams.
	Correlations []Correlation `json:"correlations"`
}

// AgentAlignment is one agent's QA and customer means.
type AgentAlignment struct {
	Agent string `json:"agent"`
	Team  string `json:"team,omitempty"`
	// QACount counts the agent's QA traces; QAMean is the mean of their
	// normalized value (value-min)/(max-min).
	QACount int64    `json:"qa_count"`
	QAMean  *float64 `json:"qa_mean"`
	// CustomerCount counts the customer judgements attributed to the
	// agent; CustomerMean is the mean of their score.
	CustomerCount int64    `json:"customer_count"`
	CustomerMean  *float64 `json:"customer_mean"`
	// Pairs counts the agent's joined observations.
	Pairs int64 `json:"pairs"`
	// Quadrant is set when both means are.
	Quadrant string `json:"quadrant,omitempty"`
}

// Pair is one joined observation: the QA of one interaction and its
// customers' mean score, or the QA of an agent over a period (QA traces
// without an interaction id) and the mean score of the customers that
// agent served in that period outside interaction pairs.
type Pair struct {
	Agent       string    `json:"agent"`
	Team        string    `json:"team,omitempty"`
	Interaction string    `json:"interaction,omitempty"`
	Period      time.Time `json:"period"`
	QA          float64   `json:"qa"`
	Customer    float64   `json:"customer"`
}

// Correlation is Pearson's r over N pairs; R is nil below 2 pairs or when
// either side does not vary.
type Correlation struct {
	Team   string     `json:"team"`
	Period *time.Time `json:"period"`
	N      int        `json:"n"`
	R      *float64   `json:"r"`
}

// QAScore returns the QA score of a trace of kind qa: its value normalized
// onto [0,1] as (value-min)/(max-min). ok is false for other traces and for
// qa traces without a usable scale.
func QAScore(d *trace.Data) (score float64, ok bool) {
	if d.Kind != wire.KindQA || d.Value == nil || d.Min == nil || d.Max == nil || *d.Max <= *d.Min {
		return 0, false
	}
	return normalize.Score(*d.Value, *d.Min, *d.Max), true
}

type mean struct {
	n   int64
	sum float64
}

func (m *mean) add(v float64) { m.n++; m.sum += v }
func (m mean) value() *float64 {
	if m.n == 0 {
		return nil
	}
	return ptr(m.sum / float64(m.n))
}

type judgement struct {
	agent, interaction, team string
	period                   time.Time
	score                    float64
}

// judgements is an append-only list kept in fixed-size chunks: a week of a
// busy store holds tens of thousands, which a growing slice would copy
// over and over.
type judgements struct {
	chunks [][]judgement
}

const judgementChunk = 4096

func (js *judgements) add(j judgement) {
	n := len(js.chunks)
	if n == 0 || len(js.chunks[n-1]) == judgementChunk {
		js.chunks = append(js.chunks, make([]judgement, 0, judgementChunk))
		n++
	}
	js.chunks[n-1] = append(js.chunks[n-1], j)
}

// all yields the judgements in the order they were added.
func (js *judgements) all() iter.Seq[*judgement] {
	return func(yield func(*judgement) bool) {
		for _, c := range js.chunks {
			for i := range c {
				if !yield(&c[i]) {
					return
				}
			}
		}
	}
}

// judgementScanner is implemented by stores that can stream the traces an
// alignment reads, those of kind qa or with a score, without decoding whole
// traces (collector/store/sqlite): in the order of Scan, with at least Time
// and the Data fields Kind, AgentID, InteractionID, Value, Min, Max, Score
// and Props set. The store may reuse the trace it passes, so fn keeps none
// of it. ComputeAlignment uses it when the store has it.
type judgementScanner interface {
	ScanJudgements(ctx context.Context, f store.Filter, fn func(*trace.Trace) error) error
}

// ComputeAlignment scans the traces of q.Filter once and joins QA with
// customer judgements:
//
//   - a customer judgement (a trace with a score) belongs to its own agent,
//     or, without one, to the agent of the QA traces of its interaction;
//   - an interaction with QA and customer judgements is one pair;
//   - QA traces without an interaction id are averaged per agent and
//     period and paired with that agent's other judgements of the period.
func ComputeAlignment(ctx context.Context, st store.Store, q AlignmentQuery) (*Alignment, error) {
	if q.QAThreshold == 0 {
		q.QAThreshold = DefaultThreshold
	}
	if q.CustomerThreshold == 0 {
		q.CustomerThreshold = DefaultThreshold
	}
	if q.Period == "" {
		q.Period = Week
	}
	if !q.Period.Valid() {
		return nil, &ParamError{Name: "period", Reason: fmt.Sprintf("%q is not one of hour, day, week", q.Period)}
	}
	for _, th := range []struct {
		name string
		v    float64
	}{{"qa_threshold", q.QAThreshold}, {"customer_threshold", q.CustomerThreshold}} {
		if th.v < 0 || th.v > 1 || math.IsNaN(th.v) {
			return nil, &ParamError{Name: th.name, Reason: "must be a number from 0 to 1"}
		}
	}
	f := q.Filter
	f.Kind, f.Limit, f.Cursor = "", 0, ""
	scan := st.Scan
	if js, ok := st.(judgementScanner); ok {
		scan = js.ScanJudgements
	}
	var qas, customers judgements
	err := scan(ctx, f, func(t *trace.Trace) error {
		d := &t.Data
		j := judgement{agent: d.AgentID, interaction: d.InteractionID, team: d.Props["team"],
			period: q.Period.Start(t.Time)}
		if s, ok := QAScore(d); ok {
			j.score = s
			qas.add(j)
		} else if d.Score != nil && d.Kind != wire.KindQA {
			j.score = *d.Score
			customers.add(j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insights: alignment: %w", err)
	}

	// QA per interaction, and the agent and team of each interaction.
	type inter struct {
		agent, team string
		period      time.Time
		qa, cust    mean
	}
	inters := map[string]*inter{}
	type agentPeriod struct {
		agent  string
		period time.Time
	}
	periodQA := map[agentPeriod]*mean{}
	periodTeam := map[agentPeriod]string{}
	type agentSums struct {
		team     string
		qa, cust mean
		pairs    int64
	}
	agents := map[string]*agentSums{}
	agentOf := func(id string) *agentSums {
		a := agents[id]
		if a == nil {
			a = &agentSums{}
			agents[id] = a
		}
		return a
	}
	for j := range qas.all() {
		a := agentOf(j.agent)
		a.qa.add(j.score)
		if a.team == "" {
			a.team = j.team
		}
		if j.interaction != "" {
			in := inters[j.interaction]
			if in == nil {
				in = &inter{agent: j.agent, team: j.team, period: j.period}
				inters[j.interaction] = in
			}
			in.qa.add(j.score)
			continue
		}
		k := agentPeriod{j.agent, j.period}
		m := periodQA[k]
		if m == nil {
			m = &mean{}
			periodQA[k] = m
		}
		m.add(j.score)
		if periodTeam[k] == "" {
			periodTeam[k] = j.team
		}
	}
	periodCust := map[agentPeriod]*mean{}
	for j := range customers.all() {
		in := inters[j.interaction]
		if j.interaction == "" {
			in = nil
		}
		agent := j.agent
		if agent == "" && in != nil {
			agent = in.agent
		}
		if agent == "" {
			continue // nobody to attribute it to
		}
		a := agentOf(agent)
		a.cust.add(j.score)
		if a.team == "" {
			a.team = j.team
		}
		if in != nil {
			in.cust.add(j.score)
			continue
		}
		k := agentPeriod{agent, j.period}
		m := periodCust[k]
		if m == nil {
			m = &mean{}
			periodCust[k] = m
		}
		m.add(j.score)
	}

	out := &Alignment{QAThreshold: q.QAThreshold, CustomerThreshold: q.CustomerThreshold, Period: q.Period,
		Agents: []AgentAlignment{}, Pairs: []Pair{}}
	for id, in := range inters {
		if in.cust.n == 0 {
			continue
		}
		out.Pairs = append(out.Pairs, Pair{Agent: in.agent, Team: in.team, Interaction: id, Period: in.period,
			QA: *in.qa.value(), Customer: *in.cust.value()})
		if in.agent != "" {
			agentOf(in.agent).pairs++
		}
	}
	for k, m := range periodQA {
		c := periodCust[k]
		if c == nil || k.agent == "" {
			continue
		}
		out.Pairs = append(out.Pairs, Pair{Agent: k.agent, Team: periodTeam[k], Period: k.period,
			QA: *m.value(), Customer: *c.value()})
		agentOf(k.agent).pairs++
	}
	slices.SortFunc(out.Pairs, func(a, b Pair) int {
		if c := a.Period.Compare(b.Period); c != 0 {
			return c
		}
		if c := strings.Compare(a.Agent, b.Agent); c != 0 {
			return c
		}
		return strings.Compare(a.Interaction, b.Interaction)
	})

	for id, a := range agents {
		if id == "" {
			continue
		}
		aa := AgentAlignment{Agent: id, Team: a.team, QACount: a.qa.n, QAMean: a.qa.value(),
			CustomerCount: a.cust.n, CustomerMean: a.cust.value(), Pairs: a.pairs}
		if aa.QAMean != nil && aa.CustomerMean != nil {
			aa.Quadrant = quadrant(*aa.QAMean, *aa.CustomerMean, q.QAThreshold, q.CustomerThreshold)
		}
		out.Agents = append(out.Agents, aa)
	}
	slices.SortFunc(out.Agents, func(a, b AgentAlignment) int { return strings.Compare(a.Agent, b.Agent) })
	out.Correlations = correlations(out.Pairs)
	return out, nil
}

// quadrant places means against thresholds; a mean equal to its threshold
// counts as high.
func quadrant(qa, cust, qaTh, custTh float64) string {
	switch hq, hc := qa >= qaTh, cust >= custTh; {
	case hq && hc:
		return AlignedHigh
	case hq:
		return HighQALowCustomer
	case hc:
		return LowQAHighCustomer
	}
	return AlignedLow
}

func correlations(pairs []Pair) []Correlation {
	teams := []string{TeamAll}
	var periods []time.Time
	for _, p := range pairs {
		if p.Team != "" && !slices.Contains(teams, p.Team) {
			teams = append(teams, p.Team)
		}
		if !slices.ContainsFunc(periods, p.Period.Equal) {
			periods = append(periods, p.Period)
		}
	}
	slices.Sort(teams[1:])
	slices.SortFunc(periods, func(a, b time.Time) int { return a.Compare(b) })
	out := []Correlation{}
	add := func(team string, period *time.Time) {
		var xs, ys []float64
		for _, p := range pairs {
			if (team == TeamAll || p.Team == team) && (period == nil || p.Period.Equal(*period)) {
				xs, ys = append(xs, p.QA), append(ys, p.Customer)
			}
		}
		if len(xs) == 0 {
			return
		}
		out = append(out, Correlation{Team: team, Period: period, N: len(xs), R: Pearson(xs, ys)})
	}
	for _, team := range teams {
		add(team, nil)
	}
	for i := range periods {
		for _, team := range teams {
			add(team, &periods[i])
		}
	}
	return out
}

// Pearson returns Pearson's correlation coefficient of xs and ys, which
// have the same length:
//
//	r = sum((x-mx)(y-my)) / sqrt(sum((x-mx)^2) sum((y-my)^2))
//
// It returns nil below two values or when xs or ys does not vary.
func Pearson(xs, ys []float64) *float64 {
	n := len(xs)
	if n < 2 || len(ys) != n {
		return nil
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return nil
	}
	return ptr(sxy / math.Sqrt(sxx*syy))
}

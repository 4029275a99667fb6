package insights

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// Rule kinds.
const (
	// RuleBelow fires when the CSAT % (Metric "csat") or the mean score
	// (Metric "score") of the last N traces of a touchpoint is below a
	// threshold.
	RuleBelow = "below"
	// RuleNegatives fires when K or more negative traces arrived in the
	// last M minutes (of one touchpoint, or of all).
	RuleNegatives = "negatives"
)

// Metrics of a RuleBelow.
const (
	MetricCSAT  = "csat"
	MetricScore = "score"
)

// Rule is one alert condition.
type Rule struct {
	// Name identifies the rule in the state and the webhook. Required,
	// unique.
	Name string `yaml:"name" json:"name"`
	// Kind is RuleBelow or RuleNegatives. Required.
	Kind string `yaml:"kind" json:"kind"`
	// Touchpoint narrows the rule; required for RuleBelow, optional (all
	// touchpoints) for RuleNegatives.
	Touchpoint string `yaml:"touchpoint" json:"touchpoint,omitempty"`

	// Metric of a RuleBelow: MetricCSAT (CSAT %, 0-100, over kind csat
	// traces) or MetricScore (mean score, 0-1, over scored traces).
	// Defaults to MetricCSAT.
	Metric string `yaml:"metric" json:"metric,omitempty"`
	// Last is N, how many of the latest traces a RuleBelow judges. The
	// rule stays quiet until there are N. Defaults to 20.
	Last int `yaml:"last" json:"last,omitempty"`
	// Below is the threshold of a RuleBelow, in the unit of its Metric.
	Below float64 `yaml:"below" json:"below,omitempty"`
	// Lookback bounds how far back a RuleBelow looks for its N traces.
	// Defaults to 720h (30 days).
	Lookback time.Duration `yaml:"lookback" json:"lookback,omitempty"`

	// Count is K, the negative traces that fire a RuleNegatives. Required
	// for it.
	Count int `yaml:"count" json:"count,omitempty"`
	// Within is M, the window of a RuleNegatives. Defaults to 10m.
	Within time.Duration `yaml:"within" json:"within,omitempty"`
}

func (r *Rule) validate() error {
	if r.Name == "" {
		return errors.New("name is required")
	}
	switch r.Kind {
	case RuleBelow:
		if r.Touchpoint == "" {
			return fmt.Errorf("rule %q: touchpoint is required for kind below", r.Name)
		}
		if r.Metric == "" {
			r.Metric = MetricCSAT
		}
		if r.Metric != MetricCSAT && r.Metric != MetricScore {
			return fmt.Errorf("rule %q: metric %q is not csat or score", r.Name, r.Metric)
		}
		if r.Last == 0 {
			r.Last = 20
		}
		if r.Last < 1 || r.Last > 100000 {
			return fmt.Errorf("rule %q: last must be from 1 to 100000", r.Name)
		}
		if r.Lookback == 0 {
			r.Lookback = 720 * time.Hour
		}
	case RuleNegatives:
		if r.Count < 1 {
			return fmt.Errorf("rule %q: count must be at least 1", r.Name)
		}
		if r.Within == 0 {
			r.Within = 10 * time.Minute
		}
	default:
		return fmt.Errorf("rule %q: kind %q is not below or negatives", r.Name, r.Kind)
	}
	if r.Lookback < 0 || r.Within < 0 {
		return fmt.Errorf("rule %q: negative duration", r.Name)
	}
	return nil
}

// AlertConfig configures an Alerter. Its zero value has no rules and sends
// nothing.
type AlertConfig struct {
	// Rules are the conditions to watch.
	Rules []Rule
	// WebhookURL receives a POST of the JSON payload when a rule fires.
	// Empty sends nothing (the state still shows firing rules).
	WebhookURL string
	// Slack sends a Slack-compatible body, {"text": "..."}, instead of the
	// Payload. Defaults to false.
	Slack bool
	// Interval is how often Run evaluates the rules. Defaults to 1m.
	Interval time.Duration
	// RetryFor bounds how long one webhook delivery is retried, with
	// exponential backoff, before it is given up. Defaults to 1m.
	RetryFor time.Duration
	// Client sends the webhook. Defaults to a client with a 10s timeout.
	Client *http.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Payload is the JSON body a firing rule POSTs to the webhook.
type Payload struct {
	Rule       string    `json:"rule"`
	Kind       string    `json:"kind"`
	Touchpoint string    `json:"touchpoint,omitempty"`
	Metric     string    `json:"metric,omitempty"`
	Value      float64   `json:"value"`
	Threshold  float64   `json:"threshold"`
	Traces     int       `json:"traces"`
	FiredAt    time.Time `json:"fired_at"`
	Message    string    `json:"message"`
}

// RuleState is what an Alerter knows about one rule.
type RuleState struct {
	Rule Rule `json:"rule"`
	// Firing is true from the evaluation that found the condition true
	// until one that finds it false.
	Firing bool `json:"firing"`
	// Value is the last value evaluated: the CSAT % or mean score of a
	// RuleBelow (nil until it has N traces), the negative count of a
	// RuleNegatives.
	Value *float64 `json:"value"`
	// Traces counts the traces the last evaluation judged.
	Traces      int        `json:"traces"`
	EvaluatedAt *time.Time `json:"evaluated_at"`
	// FiredAt is the start of the current or last episode.
	FiredAt *time.Time `json:"fired_at"`
	// Episodes counts the times the rule fired.
	Episodes int `json:"episodes"`
	// Delivered is false when the webhook of the last episode failed;
	// LastError says why.
	Delivered bool   `json:"delivered"`
	LastError string `json:"last_error,omitempty"`
}

// Alerter evaluates alert rules against a store and posts to a webhook
// once per episode: a rule fires when its condition becomes true and
// re-arms only when an evaluation finds it false again.
type Alerter struct {
	cfg   AlertConfig
	store store.Store
	log   *slog.Logger
	now   func() time.Time

	evalMu sync.Mutex // one evaluation at a time
	mu     sync.Mutex // guards state
	state  []RuleState
}

// NewAlerter validates cfg and returns an Alerter over st.
func NewAlerter(cfg AlertConfig, st store.Store) (*Alerter, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = time.Minute
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("insights: alerts: webhook %q is not an http(s) URL", cfg.WebhookURL)
		}
	}
	a := &Alerter{cfg: cfg, store: st, log: cfg.Logger, now: time.Now}
	seen := map[string]bool{}
	for i := range cfg.Rules {
		r := cfg.Rules[i]
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("insights: alerts: %w", err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("insights: alerts: rule %q named twice", r.Name)
		}
		seen[r.Name] = true
		a.state = append(a.state, RuleState{Rule: r})
	}
	return a, nil
}

// State returns a copy of every rule's state, in configuration order.
func (a *Alerter) State() []RuleState {
	if a == nil {
		return []RuleState{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]RuleState{}, a.state...)
}

// Run evaluates the rules every Interval until ctx is done.
func (a *Alerter) Run(ctx context.Context) {
	if len(a.state) == 0 {
		return
	}
	t := time.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		if err := a.Evaluate(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("alerts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Evaluate evaluates every rule once at the current time and posts the
// webhook of each rule that starts firing. It returns the errors of rules
// it could not evaluate and of deliveries that failed.
func (a *Alerter) Evaluate(ctx context.Context) error {
	a.evalMu.Lock()
	defer a.evalMu.Unlock()
	now := a.now().UTC()
	var errs []error
	for i := range a.state {
		a.mu.Lock()
		r := a.state[i].Rule
		a.mu.Unlock()
		value, n, firing, err := a.eval(ctx, &r, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %q: %w", r.Name, err))
			continue
		}
		a.mu.Lock()
		st := &a.state[i]
		st.Value, st.Traces, st.EvaluatedAt = value, n, &now
		fire := firing && !st.Firing
		st.Firing = firing
		if fire {
			st.FiredAt = &now
			st.Episodes++
		}
		a.mu.Unlock()
		if !fire {
			continue
		}
		p := payload(&r, *value, n, now)
		a.log.Warn("alert firing", "rule", r.Name, "message", p.Message)
		derr := a.deliver(ctx, p)
		a.mu.Lock()
		st.Delivered = derr == nil
		st.LastError = ""
		if derr != nil {
			st.LastError = derr.Error()
			errs = append(errs, fmt.Errorf("rule %q: webhook: %w", r.Name, derr))
		}
		a.mu.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("insights: alerts: %w", err)
	}
	return nil
}

// eval computes a rule's value at now and whether its condition holds.
func (a *Alerter) eval(ctx context.Context, r *Rule, now time.Time) (value *float64, n int, firing bool, err error) {
	switch r.Kind {
	case RuleNegatives:
		f := store.Filter{From: now.Add(-r.Within), To: now.Add(time.Nanosecond), Touchpoint: r.Touchpoint}
		neg := 0
		err = a.store.Scan(ctx, f, func(t *trace.Trace) error {
			n++
			if t.Data.Score != nil && t.Data.Sentiment == trace.Negative {
				neg++
			}
			return nil
		})
		if err != nil {
			return nil, 0, false, err
		}
		return ptr(float64(neg)), n, neg >= r.Count, nil
	default: // RuleBelow
		f := store.Filter{From: now.Add(-r.Lookback), To: now.Add(time.Nanosecond), Touchpoint: r.Touchpoint}
		if r.Metric == MetricCSAT {
			f.Kind = wire.KindCSAT
		}
		ring := make([]float64, r.Last)
		seen := 0
		err = a.store.Scan(ctx, f, func(t *trace.Trace) error {
			if t.Data.Score == nil {
				return nil
			}
			ring[seen%r.Last] = *t.Data.Score
			seen++
			return nil
		})
		if err != nil {
			return nil, 0, false, err
		}
		if seen < r.Last {
			return nil, seen, false, nil
		}
		var sum float64
		for _, s := range ring {
			if r.Metric == MetricCSAT {
				if s >= store.CSATSatisfied {
					sum += 100
				}
			} else {
				sum += s
			}
		}
		v := sum / float64(r.Last)
		return &v, r.Last, v < r.Below, nil
	}
}

func payload(r *Rule, value float64, n int, at time.Time) Payload {
	p := Payload{Rule: r.Name, Kind: r.Kind, Touchpoint: r.Touchpoint, Value: value, Traces: n, FiredAt: at}
	where := "all touchpoints"
	if r.Touchpoint != "" {
		where = "touchpoint " + r.Touchpoint
	}
	switch r.Kind {
	case RuleNegatives:
		p.Threshold = float64(r.Count)
		p.Message = fmt.Sprintf("Rastro alert %s: %d negative traces on %s in the last %s (threshold %d)",
			r.Name, int(value), where, r.Within, r.Count)
	default:
		p.Metric, p.Threshold = r.Metric, r.Below
		if r.Metric == MetricCSAT {
			p.Message = fmt.Sprintf("Rastro alert %s: CSAT of %s over the last %d traces is %.1f%%, below %g%%",
				r.Name, where, r.Last, value, r.Below)
		} else {
			p.Message = fmt.Sprintf("Rastro alert %s: mean score of %s over the last %d traces is %.3f, below %g",
				r.Name, where, r.Last, value, r.Below)
		}
	}
	return p
}

// deliver POSTs p to the webhook, retrying network errors, 408, 429 and
// 5xx with exponential backoff for at most RetryFor; other statuses are
// permanent failures.
func (a *Alerter) deliver(ctx context.Context, p Payload) error {
	if a.cfg.WebhookURL == "" {
		return nil
	}
	var body []byte
	var err error
	if a.cfg.Slack {
		body, err = json.Marshal(struct {
			Text string `json:"text"`
		}{p.Message})
	} else {
		body, err = json.Marshal(p)
	}
	if err != nil {
		return err
	}
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = 100 * time.Millisecond
	eb.MaxInterval = 10 * time.Second
	eb.MaxElapsedTime = a.cfg.RetryFor
	return backoff.Retry(func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "rastro-collector")
		resp, err := a.cfg.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return backoff.Permanent(ctx.Err())
			}
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return fmt.Errorf("status %s", resp.Status)
		}
		return backoff.Permanent(fmt.Errorf("status %s", strings.TrimSpace(resp.Status)))
	}, backoff.WithContext(eb, ctx))
}

package ui

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/insights"
)

// esc escapes text for SVG (XML) content and attributes.
func esc(s string) string { return html.EscapeString(s) }

// svg starts an accessible SVG: role img, labelled by its title and desc.
func svg(b *strings.Builder, id string, w, h int, title, desc string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" focusable="false">`, w, h, w, h, id, id)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
}

// sparkline draws the mean score of each point on 0..1 as a small line.
func sparkline(id string, s insights.Series) template.HTML {
	const w, h, pad = 120, 28, 3
	var vals []float64
	for _, p := range s.Points {
		if p.MeanScore != nil {
			vals = append(vals, *p.MeanScore)
		}
	}
	var b strings.Builder
	desc := "No scores."
	if len(vals) > 0 {
		desc = fmt.Sprintf("Mean score per bucket, oldest to newest: %s.", joinNums(vals, 2))
	}
	svg(&b, id, w, h, "Score trend of "+s.Key, desc)
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" class="axis"/>`, h-pad, w, h-pad)
	if len(vals) > 0 {
		b.WriteString(`<polyline class="spark" points="`)
		for i, v := range vals {
			x := float64(w-2*pad) / 2
			if len(vals) > 1 {
				x = float64(pad) + float64(i)*float64(w-2*pad)/float64(len(vals)-1)
			}
			y := float64(h-pad) - v*float64(h-2*pad)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		b.WriteString(`"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineChart draws the mean score of a series over time, on 0..1, with
// axes, gridlines at 0.25 steps and a dot per bucket.
func lineChart(id string, s insights.Series, bucket insights.Bucket) template.HTML {
	const w, h, left, right, top, bottom = 560, 220, 44, 16, 12, 36
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	var b strings.Builder
	var parts []string
	for _, p := range s.Points {
		if p.MeanScore != nil {
			parts = append(parts, fmt.Sprintf("%s %.2f (%d traces)", label(p.Start, bucket), *p.MeanScore, p.Count))
		}
	}
	desc := "No scored traces."
	if len(parts) > 0 {
		desc = "Mean score from 0 to 1 per " + string(bucket) + ": " + strings.Join(parts, "; ") + "."
	}
	title := "Mean score of " + s.Key + " per " + string(bucket)
	if bucket == "" {
		title = "Score line of " + s.Key
		desc = strings.Replace(desc, "Mean score from 0 to 1 per : ", "Score from 0 to 1 at each trace: ", 1)
	}
	svg(&b, id, w, h, title, desc)
	for _, g := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := float64(top) + ph - g*ph
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="tick" text-anchor="end">%.2f</text>`,
			left, y, w-right, y, left-6, y+4, g)
	}
	n := len(s.Points)
	xOf := func(i int) float64 {
		if n == 1 {
			return float64(left) + pw/2
		}
		return float64(left) + float64(i)*pw/float64(n-1)
	}
	var pts []string
	for i, p := range s.Points {
		if p.MeanScore == nil {
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(i), float64(top)+ph-*p.MeanScore*ph))
	}
	if len(pts) > 1 {
		fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(pts, " "))
	}
	step := max(1, n/6)
	for i, p := range s.Points {
		if i%step == 0 || i == n-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, xOf(i), h-bottom+18, esc(label(p.Start, bucket)))
		}
		if p.MeanScore != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" class="dot"><title>%s: %.2f, %d traces</title></circle>`,
				xOf(i), float64(top)+ph-*p.MeanScore*ph, esc(label(p.Start, bucket)), *p.MeanScore, p.Count)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// scatter draws each agent at (QA mean, customer mean) on 0..1 x 0..1 with
// the threshold lines splitting the four quadrants.
func scatter(id string, a *insights.Alignment) template.HTML {
	const size, left, bottom, top, right = 420, 48, 44, 12, 12
	pw, ph := float64(size-left-right), float64(size-top-bottom)
	x := func(v float64) float64 { return float64(left) + v*pw }
	y := func(v float64) float64 { return float64(top) + ph - v*ph }
	var b strings.Builder
	var parts []string
	for _, ag := range a.Agents {
		if ag.Quadrant != "" {
			parts = append(parts, fmt.Sprintf("%s QA %.2f customer %.2f (%s)", ag.Agent, *ag.QAMean, *ag.CustomerMean, quadrantName(ag.Quadrant)))
		}
	}
	desc := "No agent has both QA and customer scores."
	if len(parts) > 0 {
		desc = "Agents by QA mean (x) and customer mean (y), thresholds " +
			fmt.Sprintf("%.2f and %.2f: ", a.QAThreshold, a.CustomerThreshold) + strings.Join(parts, "; ") + "."
	}
	svg(&b, id, size, size, "QA score against customer score per agent", desc)
	qx, cy := x(a.QAThreshold), y(a.CustomerThreshold)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" class="frame"/>`, left, top, pw, ph)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" class="threshold"/>`, qx, top, qx, float64(top)+ph)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" class="threshold"/>`, left, cy, float64(left)+pw, cy)
	q := func(tx, ty float64, anchor, text string) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="quad" text-anchor="%s">%s</text>`, tx, ty, anchor, esc(text))
	}
	q(float64(left)+6, float64(top)+16, "start", "Low QA, high customer")
	q(float64(left)+pw-6, float64(top)+16, "end", "Aligned high")
	q(float64(left)+6, float64(top)+ph-8, "start", "Aligned low")
	q(float64(left)+pw-6, float64(top)+ph-8, "end", "High QA, low customer")
	for _, g := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%.1f</text>`, x(g), size-bottom+16, g)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%.1f</text>`, left-6, y(g)+4, g)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis-label" text-anchor="middle">QA mean</text>`, float64(left)+pw/2, size-6)
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="axis-label" text-anchor="middle" transform="rotate(-90 14 %.1f)">Customer mean</text>`, float64(top)+ph/2, float64(top)+ph/2)
	for _, ag := range a.Agents {
		if ag.Quadrant == "" {
			continue
		}
		px, py := x(*ag.QAMean), y(*ag.CustomerMean)
		fmt.Fprintf(&b, `<g class="agent %s"><circle cx="%.1f" cy="%.1f" r="6"><title>%s: QA %.2f, customer %.2f, %s</title></circle><text x="%.1f" y="%.1f" class="agent-label">%s</text></g>`,
			esc(ag.Quadrant), px, py, esc(ag.Agent), *ag.QAMean, *ag.CustomerMean, esc(quadrantName(ag.Quadrant)), px+9, py+4, esc(ag.Agent))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// scoreLine draws the scores of a journey in time order.
func scoreLine(id string, j *insights.Journey) template.HTML {
	s := insights.Series{Key: "customer " + j.UserID + j.AnonymousID}
	for _, p := range j.Scores {
		v := p.Score
		s.Points = append(s.Points, insights.Point{Start: p.Time})
		s.Points[len(s.Points)-1].MeanScore = &v
		s.Points[len(s.Points)-1].Count = 1
	}
	return lineChart(id, s, "")
}

func label(t time.Time, b insights.Bucket) string {
	switch b {
	case insights.Hour:
		return t.Format("Jan 2 15h")
	case insights.Day, insights.Week:
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2 15:04")
}

func joinNums(vs []float64, prec int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%.*f", prec, v)
	}
	return strings.Join(s, ", ")
}

func quadrantName(q string) string {
	switch q {
	case insights.HighQALowCustomer:
		return "high QA, low customer"
	case insights.LowQAHighCustomer:
		return "low QA, high customer"
	case insights.AlignedHigh:
		return "aligned high"
	case insights.AlignedLow:
		return "aligned low"
	}
	return ""
}

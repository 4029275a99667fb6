package plugin

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// What a plugin writes to stdout and stderr goes to the collector's log,
// bounded: lines are cut at maxLineBytes and each plugin may log
// logLinesPerSecond lines a second (with a burst of logBurst); the lines
// over that are counted and the count logged with the next line that
// passes.
const (
	maxLineBytes      = 512
	logLinesPerSecond = 10
	logBurst          = 20
	// firstBytes is how much of what a call writes to stderr is kept to
	// explain a crash: the Go runtime writes "panic: ..." or "fatal
	// error: ..." first.
	firstBytes = 256
)

// pluginLog is the rate-limited log of one plugin, shared by its
// instances.
type pluginLog struct {
	log     *slog.Logger
	limit   *rate.Limiter
	dropped atomic.Int64
}

func newPluginLog(log *slog.Logger, name string) *pluginLog {
	return &pluginLog{
		log:   log.With("plugin", name),
		limit: rate.NewLimiter(logLinesPerSecond, logBurst),
	}
}

func (l *pluginLog) line(level slog.Level, stream string, b []byte) {
	if !l.limit.Allow() {
		l.dropped.Add(1)
		return
	}
	attrs := []slog.Attr{slog.String("stream", stream), slog.String("line", string(bytes.ToValidUTF8(b, []byte("?"))))}
	if n := l.dropped.Swap(0); n > 0 {
		attrs = append(attrs, slog.Int64("dropped_lines", n))
	}
	l.log.LogAttrs(context.Background(), level, "plugin output", attrs...)
}

// stream is an instance's stdout or stderr: it logs whole lines and, for
// stderr, keeps the first bytes of the current call. An instance serves
// one call at a time, so a stream needs no lock.
type stream struct {
	log   *pluginLog
	name  string
	level slog.Level
	line  []byte
	cut   bool // the current line was cut at maxLineBytes; skip to its end
	keep  bool // keep the first bytes of each call
	first []byte
}

func newStream(log *pluginLog, name string, level slog.Level, keep bool) *stream {
	return &stream{log: log, name: name, level: level, keep: keep}
}

func (s *stream) Write(p []byte) (int, error) {
	n := len(p)
	if s.keep && len(s.first) < firstBytes {
		s.first = append(s.first, p[:min(len(p), firstBytes-len(s.first))]...)
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !s.cut {
			room := maxLineBytes - len(s.line)
			if len(chunk) > room {
				s.line = append(s.line, chunk[:room]...)
				s.flush()
				s.cut = true
			} else {
				s.line = append(s.line, chunk...)
			}
		}
		if i < 0 {
			break
		}
		if !s.cut {
			s.flush()
		}
		s.cut = false
		p = p[i+1:]
	}
	return n, nil
}

func (s *stream) flush() {
	if len(s.line) > 0 {
		s.log.line(s.level, s.name, s.line)
	}
	s.line = s.line[:0]
}

// reset starts a call.
func (s *stream) reset() { s.first = s.first[:0] }

// firstLine is the first non-blank line the current call wrote.
func (s *stream) firstLine() string {
	for _, l := range bytes.Split(s.first, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			return string(bytes.ToValidUTF8(l, []byte("?")))
		}
	}
	return ""
}

// event logs a message of the host about the plugin, under the same
// bound as its output.
func (l *pluginLog) event(level slog.Level, msg string, args ...any) {
	if !l.limit.Allow() {
		l.dropped.Add(1)
		return
	}
	if n := l.dropped.Swap(0); n > 0 {
		args = append(args, "dropped_lines", n)
	}
	l.log.Log(context.Background(), level, msg, args...)
}

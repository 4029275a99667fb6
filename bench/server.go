package bench

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mailru/easyjson/jlexer"
)

// Server is a local collector stand-in that decodes and counts events.
type Server struct {
	*httptest.Server
	events   atomic.Int64
	requests atomic.Int64
	bytes    atomic.Int64
	// Down makes it answer 503 to everything.
	Down atomic.Bool
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// NewServer starts a server on 127.0.0.1.
func NewServer() *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Events returns how many events the server has decoded.
func (s *Server) Events() int64 { return s.events.Load() }

// Requests returns how many batches came.
func (s *Server) Requests() int64 { return s.requests.Load() }

// WireBytes returns the body bytes received, as sent (compressed or not).
func (s *Server) WireBytes() int64 { return s.bytes.Load() }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.Down.Load() {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	cr := &countingReader{r: r.Body}
	var rd io.Reader = cr
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(cr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	*bp = buf
	n, ok := countEvents(buf)
	if !ok {
		http.Error(w, "not a batch", http.StatusBadRequest)
		return
	}
	s.events.Add(int64(n))
	s.requests.Add(1)
	s.bytes.Add(cr.n)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"accepted":` + strconv.Itoa(n) + `,"duplicates":0,"rejected":[]}`))
}

// walk decodes one JSON value token by token with easyjson's lexer, which
// checks every string, number and literal (SkipRecursive would hand each
// value to encoding/json's validator, several times slower).
func walk(l *jlexer.Lexer, depth int) {
	if depth > 64 {
		l.AddError(&jlexer.LexerError{Reason: "too deep"})
		return
	}
	switch {
	case l.IsDelim('{'):
		l.Delim('{')
		for l.Ok() && !l.IsDelim('}') {
			_ = l.UnsafeFieldName(false)
			l.WantColon()
			walk(l, depth+1)
			l.WantComma()
		}
		l.Delim('}')
	case l.IsDelim('['):
		l.Delim('[')
		for l.Ok() && !l.IsDelim(']') {
			walk(l, depth+1)
			l.WantComma()
		}
		l.Delim(']')
	default:
		switch l.CurrentToken() {
		case jlexer.TokenString:
			_ = l.UnsafeBytes() // unescaped into a scratch buffer when needed
		case jlexer.TokenNumber:
			_ = l.Float64()
		case jlexer.TokenBool:
			_ = l.Bool()
		default:
			l.Skip() // null, or an error the lexer records
		}
	}
}

// countEvents walks a batch body and counts the elements of its "events"
// or "batch" array, checking that the whole body is well-formed JSON.
func countEvents(body []byte) (int, bool) {
	l := jlexer.Lexer{Data: body}
	n := 0
	l.Delim('{')
	for l.Ok() && !l.IsDelim('}') {
		key := l.UnsafeString()
		l.WantColon()
		if key == "events" || key == "batch" {
			l.Delim('[')
			for l.Ok() && !l.IsDelim(']') {
				walk(&l, 0)
				n++
				l.WantComma()
			}
			l.Delim(']')
		} else {
			walk(&l, 0)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	return n, l.Ok()
}

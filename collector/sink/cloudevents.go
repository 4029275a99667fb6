package sink

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mailru/easyjson/jlexer"

	"github.com/rastrohq/rastro/collector/store"
)

// StructuredContentType is the content type of a trace in structured
// mode: the CloudEvents JSON event format.
const StructuredContentType = "application/cloudevents+json"

// Binding is a CloudEvents protocol binding: how an event maps onto the
// messages of one engine.
type Binding int

// The protocol bindings.
const (
	// Kafka is the Kafka protocol binding: in binary mode every attribute
	// is a header named ce_<attribute> holding its value as UTF-8, except
	// datacontenttype, which is the content-type header.
	Kafka Binding = iota + 1
	// NATS is the NATS protocol binding (1.0.3, which added binary mode
	// for servers with headers, NATS 2.2 and later): in binary mode every
	// attribute, datacontenttype included, is a header named
	// ce-<attribute> holding its value percent-encoded (see
	// [PercentEncode]); a Content-Type header starting with
	// application/cloudevents marks structured mode.
	NATS
)

// Header is one message header.
type Header struct {
	Key, Value string
}

// Message is a trace as the message of a protocol binding.
type Message struct {
	// Headers are the CloudEvents headers of the binding; a sink adds its
	// own (Nats-Msg-Id, rastro-trace-id) to them.
	Headers []Header
	// Value is the message body: the stored CloudEvents JSON in
	// structured mode, the trace's data in binary mode.
	Value []byte
}

// Encode returns the trace of p as a message of binding b in mode m. The
// stored body is the one source of both modes: structured mode sends it
// byte for byte; binary mode splits it into its attributes and its data
// (see [Split]), so the headers carry exactly what the structured event
// holds. A Pending without a body (never the case for a stored trace) is
// encoded from its Trace.
func Encode(b Binding, m Mode, p *store.Pending) (Message, error) {
	body := p.Body
	if len(body) == 0 {
		var err error
		if body, err = p.Trace.MarshalJSON(); err != nil {
			return Message{}, fmt.Errorf("sink: encoding trace %q: %w", p.Trace.ID, err)
		}
	}
	switch m {
	case "", Structured:
		key := "content-type"
		if b == NATS {
			key = "Content-Type"
		}
		return Message{Headers: []Header{{key, StructuredContentType}}, Value: body}, nil
	case Binary:
		attrs, data, err := Split(body)
		if err != nil {
			return Message{}, fmt.Errorf("sink: trace %q: %w", p.Trace.ID, err)
		}
		hs := make([]Header, 0, len(attrs))
		for _, a := range attrs {
			switch b {
			case Kafka:
				if a.Name == "datacontenttype" {
					hs = append(hs, Header{"content-type", a.Value})
				} else {
					hs = append(hs, Header{"ce_" + a.Name, a.Value})
				}
			case NATS:
				hs = append(hs, Header{"ce-" + a.Name, PercentEncode(a.Value)})
			default:
				return Message{}, fmt.Errorf("sink: unknown binding %d", int(b))
			}
		}
		return Message{Headers: hs, Value: data}, nil
	}
	return Message{}, fmt.Errorf("sink: unknown content mode %q", string(m))
}

// Attribute is one CloudEvents context attribute in its canonical string
// form.
type Attribute struct {
	Name, Value string
}

var errNotEvent = errors.New("not a CloudEvents JSON object")

// Split splits a CloudEvents event in the JSON event format into its
// context attributes, in the order of the event, and its data: the bytes
// of the data member as they stand in the event (JSON), or the decoded
// data_base64 member. Attributes whose value is null are left out; numbers
// and booleans (extension attributes) keep their JSON text, which is their
// canonical string.
func Split(event []byte) (attrs []Attribute, data []byte, err error) {
	l := jlexer.Lexer{Data: event}
	if l.IsNull() || l.CurrentToken() != jlexer.TokenDelim {
		return nil, nil, errNotEvent
	}
	l.Delim('{')
	attrs = make([]Attribute, 0, 8)
	for l.Ok() && !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch {
		case l.IsNull():
			l.Skip()
		case key == "data":
			data = l.Raw()
		case key == "data_base64":
			if data, err = base64.StdEncoding.DecodeString(l.String()); err != nil {
				return nil, nil, fmt.Errorf("data_base64: %w", err)
			}
		default:
			name := strings.Clone(key)
			switch l.CurrentToken() {
			case jlexer.TokenString:
				attrs = append(attrs, Attribute{name, l.String()})
			case jlexer.TokenNumber, jlexer.TokenBool:
				attrs = append(attrs, Attribute{name, string(l.Raw())})
			default:
				return nil, nil, fmt.Errorf("attribute %q is not a string, number or boolean", name)
			}
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if err := l.Error(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errNotEvent, err)
	}
	return attrs, data, nil
}

// PercentEncode encodes s as a header value of the NATS binding: space,
// double quote, percent and every byte outside the printable ASCII range
// U+0021-U+007E become %XY (upper-case hex of each UTF-8 byte); anything
// else stays as it is.
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func mustEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '%'
}

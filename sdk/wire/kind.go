package wire

// Kind says what a customer did at a touchpoint.
type Kind string

// The kinds of wire protocol v1.
const (
	KindClick   Kind = "click"
	KindStar    Kind = "star"
	KindEmoji   Kind = "emoji"
	KindThumbs  Kind = "thumbs"
	KindNPS     Kind = "nps"
	KindCSAT    Kind = "csat"
	KindCES     Kind = "ces"
	KindComment Kind = "comment"
	KindQA      Kind = "qa"
)

// Kinds lists every kind of wire protocol v1.
func Kinds() []Kind {
	return []Kind{KindClick, KindStar, KindEmoji, KindThumbs, KindNPS, KindCSAT, KindCES, KindComment, KindQA}
}

// Valid reports whether k is a kind of wire protocol v1.
func (k Kind) Valid() bool {
	switch k {
	case KindClick, KindStar, KindEmoji, KindThumbs, KindNPS, KindCSAT, KindCES, KindComment, KindQA:
		return true
	}
	return false
}

// Scale is the range of values a rating kind accepts.
type Scale struct {
	Min, Max float64
	// Integer is true when only whole values are allowed.
	Integer bool
	// Adjustable is true when an event may choose its own scale_max (and,
	// for qa, scale_min).
	Adjustable bool
}

// DefaultScale returns the default scale of k and whether k carries a value.
func (k Kind) DefaultScale() (Scale, bool) {
	switch k {
	case KindStar, KindEmoji, KindCSAT:
		return Scale{Min: 1, Max: 5, Integer: true, Adjustable: true}, true
	case KindCES:
		return Scale{Min: 1, Max: 7, Integer: true, Adjustable: true}, true
	case KindThumbs:
		return Scale{Min: 0, Max: 1, Integer: true}, true
	case KindNPS:
		return Scale{Min: 0, Max: 10, Integer: true}, true
	case KindQA:
		return Scale{Min: 0, Max: 100, Adjustable: true}, true
	}
	return Scale{}, false
}

// Scale returns the scale e.Value is on: the kind's default, with the
// event's scale_min/scale_max where the kind allows a choice.
func (e *Event) Scale() Scale {
	s, _ := e.Kind.DefaultScale()
	return s.with(e.ScaleMin, e.ScaleMax)
}

// with returns s with an event's scale_min and scale_max (nil: not set)
// where s allows a choice.
func (s Scale) with(scaleMin, scaleMax *float64) Scale {
	if s.Adjustable {
		if scaleMax != nil {
			s.Max = *scaleMax
		}
		if scaleMin != nil {
			s.Min = *scaleMin
		}
	}
	return s
}

// Channel is the medium of a touchpoint.
type Channel string

// The channels of wire protocol v1.
const (
	ChannelWeb      Channel = "web"
	ChannelApp      Channel = "app"
	ChannelEmail    Channel = "email"
	ChannelChat     Channel = "chat"
	ChannelBot      Channel = "bot"
	ChannelVoice    Channel = "voice"
	ChannelSMS      Channel = "sms"
	ChannelSocial   Channel = "social"
	ChannelReview   Channel = "review"
	ChannelStore    Channel = "store"
	ChannelInPerson Channel = "in_person"
	ChannelOther    Channel = "other"
)

// Channels lists every channel of wire protocol v1.
func Channels() []Channel {
	return []Channel{ChannelWeb, ChannelApp, ChannelEmail, ChannelChat, ChannelBot, ChannelVoice,
		ChannelSMS, ChannelSocial, ChannelReview, ChannelStore, ChannelInPerson, ChannelOther}
}

// Valid reports whether c is a channel of wire protocol v1.
func (c Channel) Valid() bool {
	switch c {
	case ChannelWeb, ChannelApp, ChannelEmail, ChannelChat, ChannelBot, ChannelVoice,
		ChannelSMS, ChannelSocial, ChannelReview, ChannelStore, ChannelInPerson, ChannelOther:
		return true
	}
	return false
}

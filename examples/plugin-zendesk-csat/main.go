// Command plugin-zendesk-csat is a Rastro source plugin: it turns the
// satisfaction-rating webhook of a Zendesk-style help desk into feedback
// events. Build it for the collector with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o zendesk-csat.wasm .
//
// and see README.md for the collector's configuration.
package main

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// main is empty: the plugin is a library the collector calls through the
// exports of package plugin.
func main() {}

func init() { plugin.HandleTransform(transform) }

// webhook is the body the help desk posts when a customer answers the
// satisfaction survey of a ticket.
type webhook struct {
	Rating struct {
		ID          json.Number `json:"id"`
		TicketID    json.Number `json:"ticket_id"`
		AssigneeID  json.Number `json:"assignee_id"`
		GroupID     json.Number `json:"group_id"`
		RequesterID json.Number `json:"requester_id"`
		// Score is the classic binary answer: good or bad, or offered
		// and unoffered while the customer has not answered.
		Score string `json:"score"`
		// Rating and Scale are the answer of a numeric survey (1..5 by
		// default); Score is then ignored.
		Rating  *float64 `json:"rating"`
		Scale   float64  `json:"scale"`
		Comment string   `json:"comment"`
		Reason  string   `json:"reason"`
		// Channel is the ticket's channel: email, web, chat, messaging,
		// voice, api...
		Channel   string    `json:"channel"`
		Locale    string    `json:"locale"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"satisfaction_rating"`
}

// transform maps one webhook to a csat (or thumbs) event, plus a comment
// event when the customer wrote one. Ids derive from the rating's id, so a
// webhook delivered twice is stored once.
func transform(record []byte) ([]wire.Event, error) {
	var w webhook
	if err := json.Unmarshal(record, &w); err != nil {
		return nil, errors.New("not a satisfaction-rating webhook: " + err.Error())
	}
	r := &w.Rating
	if r.ID == "" {
		return nil, errors.New("satisfaction_rating.id is missing")
	}
	base := wire.Event{
		Touchpoint:    "support.ticket",
		Channel:       channel(r.Channel),
		Journey:       "support",
		OccurredAt:    r.CreatedAt,
		UserID:        string(r.RequesterID),
		InteractionID: string(r.TicketID),
		AgentID:       string(r.AssigneeID),
		Lang:          r.Locale,
		Props:         map[string]string{"helpdesk": "zendesk"},
	}
	if r.GroupID != "" {
		base.Props["group_id"] = string(r.GroupID)
	}
	if r.Reason != "" {
		base.Props["reason"] = r.Reason
	}
	var events []wire.Event
	rating := base
	rating.ID = "zd-csat-" + string(r.ID)
	switch score := strings.TrimSuffix(r.Score, "_with_comment"); {
	case r.Rating != nil:
		rating.Kind, rating.Value = wire.KindCSAT, r.Rating
		if r.Scale > 0 && r.Scale != 5 {
			rating.ScaleMax = &r.Scale
		}
		events = append(events, rating)
	case score == "good" || score == "bad":
		v := 0.0
		if score == "good" {
			v = 1
		}
		rating.Kind, rating.Value = wire.KindThumbs, &v
		events = append(events, rating)
	case score == "offered" || score == "unoffered" || score == "":
		// The survey was sent but not answered: nothing to record yet.
	default:
		return nil, errors.New("satisfaction_rating.score: unknown score " + strconv.Quote(r.Score))
	}
	if c := strings.TrimSpace(r.Comment); c != "" {
		comment := base
		comment.ID, comment.Kind, comment.Text = "zd-comment-"+string(r.ID), wire.KindComment, c
		events = append(events, comment)
	}
	return events, nil
}

func channel(c string) wire.Channel {
	switch strings.ToLower(c) {
	case "email", "mail":
		return wire.ChannelEmail
	case "web", "web_form", "web_widget":
		return wire.ChannelWeb
	case "chat", "messaging", "native_messaging", "whatsapp":
		return wire.ChannelChat
	case "voice", "phone", "call":
		return wire.ChannelVoice
	case "sms":
		return wire.ChannelSMS
	case "mobile_sdk", "mobile":
		return wire.ChannelApp
	}
	return wire.ChannelOther
}

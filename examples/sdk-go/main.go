package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rastrohq/rastro/sdk"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4380", "collector base URL")
	key := flag.String("key", "wk_demo", "write key")
	flag.Parse()

	c, err := sdk.New(sdk.Config{Endpoint: *endpoint, WriteKey: *key})
	if err != nil {
		log.Fatal(err)
	}

	// A checkout flow: a click, a star rating and a comment from one user.
	user := "u-42"
	events := []sdk.Event{
		sdk.Click("checkout.payment", "pay-button").User(user).Channel(sdk.Web).Journey("checkout"),
		sdk.Star("checkout.payment", 4).User(user).Channel(sdk.Web).Journey("checkout"),
		sdk.Comment("checkout.payment", "Smooth, but the card form is small on mobile.").User(user).Channel(sdk.Web).Lang("en"),
		// A support chat: the customer's CSAT and the QA team's score of the same chat.
		sdk.CSAT("support.chat", 2).Interaction("chat-981").Agent("ag-7").Channel(sdk.Chat),
		sdk.QA("support.chat", 92).Interaction("chat-981").Agent("ag-7").Channel(sdk.Chat),
		sdk.NPS("relationship", 9).User(user).Channel(sdk.Email),
	}
	for _, ev := range events {
		if err := c.Capture(ev); err != nil {
			log.Printf("not captured: %v", err)
		}
	}
	// A mistake the SDK catches before anything is sent.
	var fe *sdk.FieldError
	if err := c.Capture(sdk.NPS("relationship", 11)); errors.As(err, &fe) {
		fmt.Printf("refused: %s %s\n", fe.Field, fe.Reason)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		fmt.Println("close:", err)
		os.Exit(1)
	}
	s := c.Stats()
	fmt.Printf("delivered %d events in %d batch(es)\n", s.Sent, s.Batches)
}

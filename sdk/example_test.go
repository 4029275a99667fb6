package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/rastrohq/rastro/sdk"
)

// collector stands in for a Rastro collector in the examples.
func collector() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"accepted":1,"duplicates":0,"rejected":[]}`))
	}))
}

func Example() {
	srv := collector()
	defer srv.Close()

	c, err := sdk.New(sdk.Config{Endpoint: srv.URL, WriteKey: "wk_demo", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	err = c.Capture(sdk.Star("checkout.payment", 4).User("u-42").Channel(sdk.Web))
	fmt.Println("captured:", err)

	err = c.Close(ctx)
	fmt.Println("closed:", err, "delivered:", c.Stats().Sent)
	// Output:
	// captured: <nil>
	// closed: <nil> delivered: 1
}

func ExampleClient_Capture_validation() {
	srv := collector()
	defer srv.Close()
	c, _ := sdk.New(sdk.Config{Endpoint: srv.URL, WriteKey: "wk_demo", Logger: slog.New(slog.DiscardHandler)})
	defer c.Close(context.Background())

	err := c.Capture(sdk.NPS("relationship", 11))
	var fe *sdk.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, "-", fe.Reason)
	}
	// Output:
	// value - must be between 0 and 10 for kind nps
}

func ExampleEvent() {
	// An Event is a value: keep a template and derive events from it.
	chat := sdk.Click("support.chat", "").Channel(sdk.Chat).Journey("support")
	ev := chat.Target("send-button").User("u-42")

	w := ev.Wire()
	fmt.Println(w.Kind, w.Touchpoint, w.Channel, w.Journey, w.Target, w.UserID)
	fmt.Println(chat.Wire().Target == "", chat.Wire().UserID == "")
	// Output:
	// click support.chat chat support send-button u-42
	// true true
}

func ExampleClient_Close() {
	// A collector that is down: Close gives up at its deadline and says
	// exactly what happened to every event.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := sdk.New(sdk.Config{Endpoint: srv.URL, WriteKey: "wk_demo", Logger: slog.New(slog.DiscardHandler)})
	for range 3 {
		_ = c.Capture(sdk.Thumbs("docs.answer", true))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Close(ctx)
	var ce *sdk.CloseError
	if errors.As(err, &ce) {
		fmt.Println("delivered", ce.Stats.Sent, "dropped", ce.Stats.Dropped.Total(), "because", ce.Stats.Dropped)
	}
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// delivered 0 dropped 3 because shutdown=3
	// true
}

func ExampleConfig_outbox() {
	srv := collector()
	defer srv.Close()
	dir, _ := tempDir()
	defer os.RemoveAll(dir)
	c, err := sdk.New(sdk.Config{
		Endpoint:  srv.URL,
		WriteKey:  "wk_demo",
		OutboxDir: dir, // events survive crashes and outages
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	_ = c.Capture(sdk.Comment("app.review", "love the new search").Channel(sdk.App))
	fmt.Println("durable:", c.Sync(context.Background()))
	fmt.Println("closed:", c.Close(context.Background()))
	// Output:
	// durable: <nil>
	// closed: <nil>
}

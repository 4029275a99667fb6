package bench

import (
	"testing"
)

func TestCountEvents(t *testing.T) {
	tests := []struct {
		name string
		body string
		n    int
		ok   bool
	}{
		{"rastro", `{"sent_at":"2026-11-24T12:00:00Z","sdk":{"name":"x","version":"1"},"events":[{"id":"a","value":4},{"id":"b","props":{"k":"v"}}]}`, 2, true},
		{"segment", `{"batch":[{"type":"track","properties":{"rating":4}}],"context":{"library":{"name":"x"}},"messageId":"m","sentAt":"2026"}`, 1, true},
		{"empty", `{"events":[]}`, 0, true},
		{"escapes", `{"batch":[{"text":"\u00e9\n\"x\""},null,true,1.5e3]}`, 4, true},
		{"truncated", `{"events":[{"id":"a"`, 0, false},
		{"bad literal", `{"events":[tru]}`, 0, false},
		{"trailing garbage", `{"events":[]} x`, 0, false},
		{"not an object", `[1,2]`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := countEvents([]byte(tc.body))
			if ok != tc.ok || (ok && n != tc.n) {
				t.Fatalf("countEvents = %d, %v; want %d, %v", n, ok, tc.n, tc.ok)
			}
		})
	}
}

// TestEverySDKDeliversEverything runs each contender of BenchmarkDelivered
// briefly, so that a broken harness shows up in make test.
func TestEverySDKDeliversEverything(t *testing.T) {
	for _, c := range contenders {
		t.Run(c.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			s := c.make(t, srv.URL)
			for range 1000 {
				if err := s.capture(); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.close(); err != nil {
				t.Fatal(err)
			}
			if got := srv.Events(); got != 1000 {
				t.Fatalf("server decoded %d of 1000 events", got)
			}
		})
	}
}

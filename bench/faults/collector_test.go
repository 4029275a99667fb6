package faults

import (
	"context"
	"errors"
	"net"
	"testing"
)

// TestCollector covers the harness itself: a start on a taken port is
// retried and then reported as such, and Kill leaves a collector that
// Exited reports gone.
func TestCollector(t *testing.T) {
	needProcesses(t)
	bin, err := CollectorBin()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("port taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c := &Collector{Bin: bin, Addr: ln.Addr().String(), Data: t.TempDir()}
		if err := c.Start(context.Background()); !errors.Is(err, errPortTaken) {
			t.Fatalf("got %v, want errPortTaken", err)
		}
		if c.Starts != 3 {
			t.Errorf("%d tries, want 3", c.Starts)
		}
	})
	t.Run("kill", func(t *testing.T) {
		c := startCollector(t, t.TempDir())
		if exited, _ := c.Exited(); exited {
			t.Fatal("exited at once")
		}
		c.Kill()
		if exited, err := c.Exited(); !exited || err == nil {
			t.Fatalf("after Kill: exited %v, %v", exited, err)
		}
		if c.Kills != 1 {
			t.Errorf("Kills = %d", c.Kills)
		}
		restart(t, c)
		if ids := export(t, c); len(ids) != 0 {
			t.Errorf("a fresh store exports %d traces", len(ids))
		}
	})
}

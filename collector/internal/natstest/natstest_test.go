package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/internal/natstest"
)

func TestStartRestart(t *testing.T) {
	srv := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	nc, err := nats.Connect(srv.URL, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage})
	require.NoError(t, err, "JetStream is enabled")
	_, err = js.Publish(ctx, "t.a", []byte("kept"))
	require.NoError(t, err)

	srv.Stop()
	srv.Stop() // idempotent
	require.Error(t, nc.FlushTimeout(200*time.Millisecond), "the server is down")

	srv.Restart()
	require.Eventually(t, nc.IsConnected, 10*time.Second, 10*time.Millisecond, "clients reconnect to the same port")
	st, err := js.Stream(ctx, "T")
	require.NoError(t, err)
	msg, err := st.GetLastMsgForSubject(ctx, "t.a")
	require.NoError(t, err, "the stream and its messages survive in the same store")
	require.Equal(t, "kept", string(msg.Data))
	require.Contains(t, srv.Log(), "Server is ready")
}

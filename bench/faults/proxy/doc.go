// Package proxy is a TCP proxy on 127.0.0.1 that misbehaves on demand, to
// put network faults between a client and a server in tests.
//
// # Modes
//
// A Proxy forwards each connection to its target. Its mode, which Set
// switches at any time, applies to every chunk of bytes it reads from
// either side from then on, on new and open connections alike:
//
//   - Pass forwards the chunk.
//   - Delay waits the delay, then forwards the chunk (so each direction
//     of a connection keeps its order and a round trip gains twice the
//     delay).
//   - Blackhole drops the chunk and stalls the connection for good: it
//     keeps reading both sides and never forwards or answers anything
//     again, as a network that silently loses every packet. A client sees
//     its request sent and no answer until its own timeout.
//   - Reset forwards the first half of the chunk, then resets both sides
//     (RST, SO_LINGER 0): a request or an answer broken off midway.
//
// A connection accepted in Blackhole mode is never dialled through.
// Switching back to Pass or Delay heals new connections; a stalled one
// stays stalled, as TCP would not resynchronize a stream that lost bytes.
package proxy

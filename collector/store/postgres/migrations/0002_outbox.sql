-- 0002_outbox: the hand-off to sinks (store.Outbox).
--
-- The transaction that inserts a trace adds one row per configured sink,
-- naming the trace by its seq. Forwarders of every collector claim rows
-- with FOR UPDATE SKIP LOCKED and a lease, and delete them once the sink
-- acknowledged them. Retention keeps a trace while a row names it.
CREATE TABLE sink_outbox (
	sink        text COLLATE "C" NOT NULL,
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	trace_seq   bigint NOT NULL,
	lease_until timestamptz NOT NULL DEFAULT '-infinity',
	PRIMARY KEY (sink, seq)
);

CREATE INDEX sink_outbox_trace ON sink_outbox (trace_seq);

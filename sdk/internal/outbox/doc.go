// Package outbox keeps batches of encoded events in files of one directory
// until they are delivered, so that they survive a crash or an outage.
//
// # Files
//
// Each batch is one file named "<unix-nanos hex>-<seq hex>.batch", so that
// names sort in the order batches were written. A file holds a one-line
// header, "rastro-outbox 1 <events>\n", then the JSON array of the events.
//
// # Crash safety
//
// [Outbox.Write] writes a batch to a ".tmp" file, fsyncs it, renames it to its
// final name and fsyncs the directory. A batch is therefore either absent or
// complete after a crash: [Open] deletes leftover ".tmp" files and returns the
// complete batches, oldest first. When Write returns, the batch is durable.
//
// One directory must be used by one process at a time.
package outbox

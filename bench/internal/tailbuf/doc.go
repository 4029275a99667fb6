// Package tailbuf keeps the last bytes a child process wrote, so that a test
// that fails can show what the collector said without holding all of it.
package tailbuf

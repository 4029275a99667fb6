// Package store defines where the collector keeps traces: the [Store]
// interface that every implementation (the embedded default in store/sqlite,
// a shared store in later work) satisfies, and the query types they answer.
package store

// Package sqlite is the collector's embedded default store.
package sqlite

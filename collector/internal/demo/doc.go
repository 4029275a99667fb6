// Package demo makes the demonstration data `make run` loads into an empty
// store, so that the dashboard and the insights have something to show on
// the first start: two weeks of feedback at seven touchpoints across
// channels, four contact-centre agents whose internal QA scores agree or
// disagree with their customers (one per quadrant), comments in
// Portuguese, Spanish and English, and a checkout whose satisfaction drops
// in the last two days.
//
// The data is made by the same normalizer as real events, from a fixed
// seed: the same call makes the same traces, with stable ids, so loading it
// twice stores it once.
package demo

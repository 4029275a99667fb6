// Command sdk-go is a small Go service that reports customer feedback to a
// Rastro collector with the Go SDK: a checkout click, a star rating and a
// comment, a support chat's CSAT next to the QA team's score of the same
// chat, and an NPS answer. It also shows a mistake the SDK refuses before
// anything is sent. Start a collector (make run), then:
//
//	go run ./examples/sdk-go -endpoint http://127.0.0.1:4380 -key wk_demo
package main

// Package ui serves the collector's dashboard at /ui: touchpoints ranked by
// score with sparklines and change marks, a trend chart per touchpoint, the
// QA-against-customer scatter in four quadrants, the latest negative
// comments and a journey lookup.
//
//	mux.Handle("/ui", ui.Handler(ui.Config{Store: st}))
//	mux.Handle("/ui/", ui.Handler(ui.Config{Store: st}))
//
// The page takes the parameters of /v1/insights/trends (from, to,
// touchpoint, channel, ..., bucket) and user for the journey. Its numbers
// come from the same functions of package insights as the API, so they
// are the API's numbers, rounded for reading.
//
// # Why server-rendered SVG
//
// The charts are drawn in Go as inline SVG, and the page has no
// JavaScript at all. A chart library would add tens of kilobytes to
// vendor, update and audit, and a build or download step, to draw a few
// lines and dots; inline SVG costs nothing to load, prints, works with a
// strict Content-Security-Policy (default-src 'none'), and renders the
// same numbers the server computed without a second JSON round trip.
// Forms (GET) do the filtering and the journey lookup.
//
// # Accessibility
//
// Semantic landmarks and headings, a skip link, labelled form controls,
// visible focus, colours that pass WCAG AA (see style.css), and every chart
// an <svg role="img"> with a <title> and a <desc> stating its numbers,
// followed by a data table with the same numbers. Quadrants are named in
// text, not told by colour alone.
//
// [WriteLogin] renders the sign-in form the server shows at /ui/login
// (the session itself is package server's). It carries the stylesheet
// inline, allowed by its hash in the Content-Security-Policy, because its
// visitor may not yet read /ui/style.css.
//
// The assets are embedded with go:embed: there is no build step.
package ui

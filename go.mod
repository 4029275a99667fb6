module github.com/rastrohq/rastro

go 1.26.8

tool github.com/mailru/easyjson/easyjson

require (
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.9.2 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)

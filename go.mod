module github.com/autoreload/autoreload

go 1.26.0

require (
	github.com/bmatcuk/doublestar/v4 v4.10.4
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)

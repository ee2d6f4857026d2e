module github.com/autoreload/autoreload

go 1.26

require github.com/sjansen/watchman v0.2.0

require (
	github.com/Microsoft/go-winio v0.5.2 // indirect
	github.com/stretchr/testify v1.8.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sys v0.0.0-20220412211240-33da011f77ad // indirect
)

module github.com/autoreload/autoreload

go 1.26

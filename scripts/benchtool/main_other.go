//go:build !linux

// Command benchtool measures autoreload beside its peers; it reads /proc, so
// it runs on Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "benchtool: Linux only (it reads /proc)")
	os.Exit(2)
}

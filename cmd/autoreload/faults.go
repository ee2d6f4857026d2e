//go:build autoreload_faults

package main

import (
	"os"
	"slices"
	"strings"
)

// A binary built with the tag autoreload_faults (the end-to-end tests build
// one) takes faults from AUTORELOAD_FAULTS, a comma-separated list; the
// item watch-panic makes the watcher side panic on the first change it
// hands on. Other items are for other packages.
func init() {
	faultWatchPanic = slices.Contains(strings.Split(os.Getenv("AUTORELOAD_FAULTS"), ","), "watch-panic")
}

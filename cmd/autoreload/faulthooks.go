package main

// faultWatchPanic makes follow panic after a change: a test's stand-in for
// a bug of the watcher side (faults.go; false without the tag
// autoreload_faults).
var faultWatchPanic bool

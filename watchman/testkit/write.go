package testkit

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Write writes content to path, making its directories, and fails t if it
// cannot.
func Write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Saves writes path every interval for the duration d, as a person or an
// editor saving a file does, the nth time (from 1) with content(n), and
// returns how many times it wrote.
func Saves(t testing.TB, path string, every, d time.Duration, content func(n int) string) int {
	t.Helper()
	saves := 0
	tick := time.NewTicker(every) // the person's cadence, not a wait for an event
	defer tick.Stop()
	for end := time.Now().Add(d); time.Now().Before(end); {
		<-tick.C
		saves++
		Write(t, path, content(saves))
	}
	return saves
}

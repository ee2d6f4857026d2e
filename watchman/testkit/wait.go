package testkit

import (
	"os"
	"strings"
	"testing"
	"time"
)

// WaitLimit bounds every wait of the helpers here: generous, since the
// machine may be shared, and never reached when things work.
const WaitLimit = 30 * time.Second

// WaitLines waits until the file at path holds at least n lines and
// returns them, failing t after WaitLimit.
func WaitLines(t testing.TB, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for {
		data, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(data) > 0 && len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want %d lines within %v, have %q", path, n, WaitLimit, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

//go:build linux

package main

import (
	"github.com/autoreload/autoreload/watchman/testkit"

	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCtrlCEndIsNotWaiting: when the user's Ctrl-C ends COMMAND (it exits
// 1, as go run does), autoreload exits; its last word on COMMAND must not
// be "waiting for changes", as it is when COMMAND ends by itself.
func TestCtrlCEndIsNotWaiting(t *testing.T) {
	t.Parallel()
	sh := startShell(t)
	file := filepath.Join(t.TempDir(), "child")
	sh.run(t, nil, "on-int", "exit1", file)
	testkit.WaitLines(t, file, 1)
	sh.send(t, "\x03")
	if code := sh.exitCode(t); code != 0 {
		t.Fatalf("autoreload exited %d after Ctrl-C, want 0\n%s", code, sh.output())
	}
	sh.awaitShellPrompt(t) // all autoreload wrote is on the terminal before it
	// COMMAND's end reads "exited pid N with code 1", or "stopped pid N"
	// when the supervisor heard of the Ctrl-C first and stopped it.
	out := sh.output()
	if !regexp.MustCompile(`(exited|stopped) pid \d+ with code 1`).MatchString(out) || strings.Contains(out, "waiting for changes") {
		t.Errorf("after Ctrl-C the log should say how COMMAND ended, and not that autoreload waits:\n%s", out)
	}
}

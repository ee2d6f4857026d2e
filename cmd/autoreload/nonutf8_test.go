package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// A file named with bytes that are not UTF-8, watched through a real
// Watchman with --reloader watchman (which speaks BSER to it; in JSON 4.9
// never sends such a name and the subscription goes silent): three changes,
// each beside an ordinary file, each restart COMMAND as soon as the
// ordinary one does, with no fallback and no exit; AUTORELOAD_CHANGED holds
// the exact bytes, and the JSON log the escaped form. The same in auto mode,
// where JSON used to cost a fallback to the poller.
func TestWatchmanNonUTF8Name(t *testing.T) {
	t.Parallel()
	for _, reloader := range []string{"watchman", "auto"} {
		t.Run(reloader, func(t *testing.T) {
			t.Parallel()
			nonUTF8Name(t, reloader)
		})
	}
}

func nonUTF8Name(t *testing.T, reloader string) {
	d := watchmantest.Start(t)
	dir := agedTree(t)
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock},
		"--reloader="+reloader, "--", helper, "env", out)
	if w, _ := s.readyEvents(); w["reloader"] != "watchman" {
		t.Fatalf("watching %v, want watchman", w)
	}
	testkit.WaitLines(t, out, 1)
	bad := filepath.Join(dir, "bad-\xff\xfe.go")
	forbidden := []string{"fallback", "failed"}
	read := 1 // lines of out already checked (the first start's)
	for i := range 3 {
		ok := filepath.Join(dir, fmt.Sprintf("ok%d.go", i))
		testkit.Write(t, bad, fmt.Sprintf("package main // %d\n", i))
		testkit.Write(t, ok, "package main\n")
		// The name comes no later than the ordinary file beside it: in the
		// same batch, or an earlier one.
		var seenBad bool
		for {
			e := s.await("changed", nil, forbidden...)
			paths := e.paths()
			seenBad = seenBad || slices.Contains(paths, strconv.Quote(bad))
			if slices.Contains(paths, ok) {
				if !seenBad {
					t.Fatalf("change %d: %s came before %q; log:\n%s", i, ok, bad, s.logText())
				}
				break
			}
			if slices.Contains(paths, bad) {
				t.Fatalf("the JSON log carries the raw name %q, want it escaped", bad)
			}
		}
		s.await("started", nil, forbidden...)
		// COMMAND learns both paths, the name byte for byte, in the starts
		// since the last round.
		read = awaitChanged(t, out, read, bad, ok)
	}
	rest := s.stop()
	for _, e := range rest {
		if slices.Contains(forbidden, e.msg()) {
			t.Fatalf("%v; log:\n%s", e, s.logText())
		}
	}
}

// awaitChanged waits until the lines of out after the first read name every
// path in AUTORELOAD_CHANGED, and returns how many lines it read.
func awaitChanged(t *testing.T, out string, read int, want ...string) int {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		lines := testkit.WaitLines(t, out, read+1)
		var changed []string
		for _, line := range lines[read:] {
			_, quoted, _ := strings.Cut(line, " ")
			v, err := strconv.Unquote(quoted)
			if err != nil {
				t.Fatalf("env line %q: %v", line, err)
			}
			changed = append(changed, strings.Split(v, "\n")...)
		}
		if !slices.ContainsFunc(want, func(p string) bool { return !slices.Contains(changed, p) }) {
			return len(lines)
		}
		if time.Now().After(deadline) {
			t.Fatalf("AUTORELOAD_CHANGED held %q within %v, want %q", changed, waitLimit, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

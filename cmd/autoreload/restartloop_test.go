package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// The restart-loop rule is tested in the supervisor's package
// (restartloop_scenarios_test.go: a person's cadence, fast saves, a
// COMMAND's own writes at once or after start-up work, the warning and
// the back-off); this is its one test through the binary, with Watchman's
// modification times and delivery.

// at is when autoreload logged e (slog's time), for gaps between events
// that the test may read later than they happened.
func (e event) at(t *testing.T) time.Time {
	t.Helper()
	s, _ := e["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("event %v: time: %v", e, err)
	}
	return at
}

// TestRestartLoopThroughWatchman: with a private Watchman, a COMMAND that
// writes a watched file a second into each start (a migration holding its
// database open while it works) is warned about by its fourth start at
// the latest and its restarts are then held back; an editor auto-saving
// every 0.3 s for ten seconds gets a restart for every save and no
// restart-loop warning.
func TestRestartLoopThroughWatchman(t *testing.T) {
	t.Parallel()
	t.Run("own writes are a loop", func(t *testing.T) {
		t.Parallel()
		dir, file := t.TempDir(), "db.sqlite3"
		s := startWithWatchman(t, dir, nil, "--", "sh", "-c",
			`sleep 1; exec 3>>db.sqlite3; date +%s%N >&3; sleep 0.3; exec 3>&-; exec sleep 1000`)
		first := s.ready().at(t)
		starts := []time.Time{first}
		warned := false
		for !warned {
			switch e := s.next("started or restart loop"); e.msg() {
			case "restart loop":
				warned = true
				if hint, _ := e["hint"].(string); !slices.Contains(e.paths(), filepath.Join(dir, file)) || !strings.Contains(hint, "--ignore '"+file+"'") {
					t.Errorf("warning = %v, want %s named and --ignore '%s' suggested", e, file, file)
				}
			case "started":
				starts = append(starts, e.at(t))
				if len(starts) > 4 {
					t.Fatalf("no restart-loop warning by the 4th start; log:\n%s", s.logText())
				}
			}
		}
		// Held back: a restart comes later than its writes' own pace by
		// more than half a second (back-off 100 ms, doubling).
		pace := starts[1].Sub(starts[0])
		for last := starts[len(starts)-1]; ; {
			at := s.await("started", nil, "restart loop").at(t)
			if at.Sub(last) > pace+500*time.Millisecond {
				break
			}
			if at.Sub(first) > waitLimit {
				t.Fatalf("restarts every %v or sooner after the warning; the first took %v; log:\n%s", at.Sub(last), pace, s.logText())
			}
			last = at
		}
		s.stop()
	})
	t.Run("fast saves are no loop", func(t *testing.T) {
		t.Parallel()
		const every = 300 * time.Millisecond
		dir, out := t.TempDir(), filepath.Join(t.TempDir(), "seen")
		src := filepath.Join(dir, "main.go")
		testkit.Write(t, src, "package main // 0\n")
		s := startWithWatchman(t, dir, []string{"SEEN=" + out}, "--", "sh", "-c", `cat main.go >> "$SEEN"; exec sleep 1000`)
		s.ready()
		saves := testkit.Saves(t, src, every, 10*time.Second, func(n int) string { return "package main // " + strconv.Itoa(n) + "\n" })
		last := "package main // " + strconv.Itoa(saves)
		deadline := time.Now().Add(waitLimit)
		for seen, _ := os.ReadFile(out); !strings.HasSuffix(string(seen), last+"\n"); seen, _ = os.ReadFile(out) {
			if time.Now().After(deadline) {
				t.Fatalf("no start of COMMAND saw the last save (%q) within %v; log:\n%s", last, waitLimit, s.logText())
			}
			time.Sleep(10 * time.Millisecond)
		}
		starts := 0
		for _, e := range s.stop() {
			switch e.msg() {
			case "restart loop":
				t.Fatalf("saves every %v taken for a restart loop: %v; log:\n%s", every, e, s.logText())
			case "started":
				starts++
			}
		}
		// Saves that come while COMMAND stops join one restart; held
		// back, they would make a handful of restarts in ten seconds.
		if starts < saves/2 {
			t.Errorf("%d restarts for %d saves every %v; log:\n%s", starts, saves, every, s.logText())
		}
	})
}

// startWithWatchman starts autoreload in dir with a private Watchman
// daemon of the test's own.
func startWithWatchman(t *testing.T, dir string, env []string, args ...string) *session {
	t.Helper()
	d := watchmantest.Start(t)
	env = append(env, "WATCHMAN_SOCK="+d.Sock)
	return startAutoreloadEnv(t, dir, env, append([]string{"--reloader=watchman"}, args...)...)
}

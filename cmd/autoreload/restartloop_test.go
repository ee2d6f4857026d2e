package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/internal/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

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

// TestPersonsCadenceIsNoLoop: saving a file about a second after each
// restart, as a person at work does, is never a restart loop.
func TestPersonsCadenceIsNoLoop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startAutoreload(t, dir, "--", "sh", "-c", "exec sleep 1000")
	s.ready()
	for i := range 5 {
		time.Sleep(800 * time.Millisecond) // the person's cadence, not a wait for an event
		testkit.Write(t, filepath.Join(dir, "server.js"), "// edit "+strconv.Itoa(i))
		s.await("started", nil, "restart loop")
	}
	for _, e := range s.stop() {
		if e.msg() == "restart loop" {
			t.Fatalf("a person's edits taken for a restart loop: %v", e)
		}
	}
}

// TestRestartLoopWarnedOnceAndSlowed: COMMAND writes into the watched tree
// as it starts. The loop is warned about once, naming the file and the
// --ignore that fixes it, and slowed down: at most 20 starts in the first
// ten seconds. An edit to another file during the back-off still restarts
// COMMAND at once.
func TestRestartLoopWarnedOnceAndSlowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "server.log")
	s := startAutoreload(t, dir, "--", "sh", "-c", `date +%s%N >> server.log; exec sleep 1000`)
	first := s.ready().at(t)
	starts, warnings := 1, 0
	var last time.Time // of the last start
	gap := time.Duration(0)
	for {
		e := s.next("started or restart loop")
		switch e.msg() {
		case "restart loop":
			warnings++
			if hint, _ := e["hint"].(string); !slices.Contains(e.paths(), logFile) || !strings.Contains(hint, "--ignore 'server.log'") {
				t.Errorf("warning = %v, want %s named and --ignore 'server.log' suggested", e, logFile)
			}
		case "started":
			at := e.at(t)
			if at.Sub(first) < 10*time.Second {
				starts++
			}
			if starts > 20 {
				t.Fatalf("more than 20 starts in the first 10 s of a restart loop")
			}
			if !last.IsZero() {
				gap = at.Sub(last)
			}
			last = at
		}
		// Ten seconds in, and backing off by more than 1.5 s a start: the
		// next restart waits at least 3 s.
		if last.Sub(first) >= 10*time.Second && gap > 1500*time.Millisecond {
			break
		}
	}
	if warnings != 1 {
		t.Errorf("%d restart-loop warnings, want 1", warnings)
	}
	if starts > 20 || starts < 4 {
		t.Errorf("%d starts in the first 10 s of a restart loop, want 4 to 20", starts)
	}

	// A person's edit, well after the last start, while the loop's next
	// restart is held back.
	time.Sleep(600 * time.Millisecond)
	src := filepath.Join(dir, "main.go")
	edited := time.Now()
	testkit.Write(t, src, "package main\n")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), src) })
	started := s.await("started", nil)
	if took := started.at(t).Sub(edited); took > 2500*time.Millisecond {
		t.Errorf("the edit to another file restarted COMMAND after %v, held back with the loop", took)
	}
	for _, e := range s.stop() {
		if e.msg() == "restart loop" {
			t.Errorf("the same loop warned about again: %v", e)
		}
	}
}

// TestFastSavesAreNoLoop: a person saving every 0.5 s, or an editor
// auto-saving every 0.3 s, for ten seconds gets a restart for every save
// and no restart-loop warning: the changes come soon after each start, but
// not from COMMAND.
func TestFastSavesAreNoLoop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		reloader string
		every    time.Duration
	}{{"stat", 500 * time.Millisecond}, {"stat", 300 * time.Millisecond}, {"watchman", 300 * time.Millisecond}}
	for _, c := range cases {
		every := c.every
		t.Run(c.reloader+"/"+every.String(), func(t *testing.T) {
			t.Parallel()
			dir, out := t.TempDir(), filepath.Join(t.TempDir(), "seen")
			src := filepath.Join(dir, "main.go")
			testkit.Write(t, src, "package main // 0\n")
			s := startWith(t, c.reloader, dir, []string{"SEEN=" + out}, "--", "sh", "-c", `cat main.go >> "$SEEN"; exec sleep 1000`)
			s.ready()
			saves := 0
			tick := time.NewTicker(every) // the person's cadence, not a wait for an event
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
				<-tick.C
				saves++
				testkit.Write(t, src, "package main // "+strconv.Itoa(saves)+"\n")
			}
			tick.Stop()
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
}

// TestCommandsOwnWritesAreALoop: a COMMAND that writes a watched file each
// time it starts is warned about by its fourth start at the latest, and
// its restarts are then held back: whether it writes at once, or after a
// second of start-up work (a migration holding its database open while it
// works, a log opened once the server is up).
func TestCommandsOwnWritesAreALoop(t *testing.T) {
	t.Parallel()
	cases := []struct{ reloader, name, file, script string }{
		{"stat", "at start", "server.log", `date +%s%N >> server.log; exec sleep 1000`},
		{"stat", "migration after 1s", "db.sqlite3", `sleep 1; exec 3>>db.sqlite3; date +%s%N >&3; sleep 0.3; exec 3>&-; exec sleep 1000`},
		{"stat", "log opened after 1s", "app.log", `sleep 1; exec 3>>app.log; date +%s%N >&3; exec sleep 1000`},
		{"watchman", "migration after 1s", "db.sqlite3", `sleep 1; exec 3>>db.sqlite3; date +%s%N >&3; sleep 0.3; exec 3>&-; exec sleep 1000`},
	}
	for _, c := range cases {
		t.Run(c.reloader+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startWith(t, c.reloader, dir, nil, "--", "sh", "-c", c.script)
			first := s.ready().at(t)
			starts := []time.Time{first}
			warned := false
			for !warned {
				switch e := s.next("started or restart loop"); e.msg() {
				case "restart loop":
					warned = true
					if hint, _ := e["hint"].(string); !slices.Contains(e.paths(), filepath.Join(dir, c.file)) || !strings.Contains(hint, "--ignore '"+c.file+"'") {
						t.Errorf("warning = %v, want %s named and --ignore '%s' suggested", e, c.file, c.file)
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
	}
}

// startWith starts autoreload in dir with the stat poller, or with a
// private Watchman daemon of the test's own.
func startWith(t *testing.T, reloader, dir string, env []string, args ...string) *session {
	t.Helper()
	if reloader == "watchman" {
		d := watchmantest.Start(t)
		env = append(env, "WATCHMAN_SOCK="+d.Sock)
		args = append([]string{"--reloader=watchman"}, args...)
	}
	return startAutoreloadEnv(t, dir, env, args...)
}

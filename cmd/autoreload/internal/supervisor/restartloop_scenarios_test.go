package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// The restart-loop scenarios: a COMMAND writing into the watched tree as
// it starts against a person's saves, with real COMMANDs and real files,
// through the Supervisor's API. (cmd/autoreload keeps one end-to-end test
// of this, TestRestartLoopThroughWatchman.)

// watch stands in for the command's watcher over the files directly in
// dir: it stats them every 10 ms and asks s to restart for each that
// changed, with its modification time, as the command does with what its
// backend reports. It ends with the test.
func watch(t *testing.T, s *Supervisor, dir string) {
	t.Helper()
	type state struct {
		mod  time.Time
		size int64
	}
	scan := func() map[string]state {
		seen := map[string]state{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
				seen[filepath.Join(dir, e.Name())] = state{info.ModTime(), info.Size()}
			}
		}
		return seen
	}
	last := scan()
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			now := scan()
			var changes []Change
			for path, st := range now {
				if last[path] != st {
					changes = append(changes, Change{Path: path, Modified: st.mod})
				}
			}
			for path := range last {
				if _, ok := now[path]; !ok {
					changes = append(changes, Change{Path: path}) // deleted: no time
				}
			}
			if len(changes) > 0 {
				s.RestartChanges(changes)
			}
			last = now
		}
	}()
	t.Cleanup(func() { close(done); <-ended })
}

// superviseIn runs `sh -c script` in dir (the working directory, as for
// the command), watched by watch.
func superviseIn(t *testing.T, dir, script string, env ...string) *supervised {
	t.Helper()
	t.Chdir(dir)
	opts := shell(t, script)
	opts.Env = append(os.Environ(), env...)
	s := supervise(t, opts)
	watch(t, s.Supervisor, dir)
	return s
}

// TestPersonsCadenceIsNoLoop: saving a file about a second after each
// restart, as a person at work does, is never a restart loop.
func TestPersonsCadenceIsNoLoop(t *testing.T) {
	dir := t.TempDir()
	s := superviseIn(t, dir, "exec sleep 1000")
	s.log.await(t, MsgStarted, nil)
	for i := range 5 {
		time.Sleep(800 * time.Millisecond) // the person's cadence, not a wait for an event
		testkit.Write(t, filepath.Join(dir, "server.js"), "// edit "+strconv.Itoa(i))
		s.log.await(t, MsgStarted, nil, MsgRestartLoop)
	}
	for _, e := range s.stop(t) {
		if e.msg == MsgRestartLoop {
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
	dir := t.TempDir()
	logFile := filepath.Join(dir, "server.log")
	s := superviseIn(t, dir, `date +%s%N >> server.log; exec sleep 1000`)
	first := s.log.await(t, MsgStarted, nil).at
	starts, warnings := 1, 0
	var last time.Time // of the last start
	gap := time.Duration(0)
	for {
		e := s.log.next(t, "started or restart loop")
		switch e.msg {
		case MsgRestartLoop:
			warnings++
			if hint, _ := e.attrs["hint"].(string); !slices.Contains(e.paths(), logFile) || !strings.Contains(hint, "--ignore 'server.log'") {
				t.Errorf("warning = %v, want %s named and --ignore 'server.log' suggested", e, logFile)
			}
		case MsgStarted:
			if e.at.Sub(first) < 10*time.Second {
				starts++
			}
			if starts > 20 {
				t.Fatalf("more than 20 starts in the first 10 s of a restart loop")
			}
			if !last.IsZero() {
				gap = e.at.Sub(last)
			}
			last = e.at
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
	edited := time.Now()
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	started := s.log.await(t, MsgStarted, nil)
	if took := started.at.Sub(edited); took > 2500*time.Millisecond {
		t.Errorf("the edit to another file restarted COMMAND after %v, held back with the loop", took)
	}
	for _, e := range s.stop(t) {
		if e.msg == MsgRestartLoop {
			t.Errorf("the same loop warned about again: %v", e)
		}
	}
}

// TestFastSavesAreNoLoop: a person saving every 0.5 s, or an editor
// auto-saving every 0.3 s, for ten seconds gets a restart for every save
// and no restart-loop warning: the changes come soon after each start, but
// not from COMMAND.
func TestFastSavesAreNoLoop(t *testing.T) {
	for _, every := range []time.Duration{500 * time.Millisecond, 300 * time.Millisecond} {
		t.Run(every.String(), func(t *testing.T) {
			dir, out := t.TempDir(), filepath.Join(t.TempDir(), "seen")
			src := filepath.Join(dir, "main.go")
			testkit.Write(t, src, "package main // 0\n")
			s := superviseIn(t, dir, `cat main.go >> "$SEEN"; exec sleep 1000`, "SEEN="+out)
			s.log.await(t, MsgStarted, nil)
			saves := testkit.Saves(t, src, every, 10*time.Second, func(n int) string { return "package main // " + strconv.Itoa(n) + "\n" })
			last := "package main // " + strconv.Itoa(saves)
			deadline := time.Now().Add(waitLimit)
			for seen, _ := os.ReadFile(out); !strings.HasSuffix(string(seen), last+"\n"); seen, _ = os.ReadFile(out) {
				if time.Now().After(deadline) {
					t.Fatalf("no start of COMMAND saw the last save (%q) within %v; log:\n%s", last, waitLimit, s.log.text())
				}
				time.Sleep(10 * time.Millisecond)
			}
			starts := 0
			for _, e := range s.stop(t) {
				switch e.msg {
				case MsgRestartLoop:
					t.Fatalf("saves every %v taken for a restart loop: %v; log:\n%s", every, e, s.log.text())
				case MsgStarted:
					starts++
				}
			}
			// Saves that come while COMMAND stops join one restart; held
			// back, they would make a handful of restarts in ten seconds.
			if starts < saves/2 {
				t.Errorf("%d restarts for %d saves every %v; log:\n%s", starts, saves, every, s.log.text())
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
	cases := []struct{ name, file, script string }{
		{"at start", "server.log", `date +%s%N >> server.log; exec sleep 1000`},
		{"migration after 1s", "db.sqlite3", `sleep 1; exec 3>>db.sqlite3; date +%s%N >&3; sleep 0.3; exec 3>&-; exec sleep 1000`},
		{"log opened after 1s", "app.log", `sleep 1; exec 3>>app.log; date +%s%N >&3; exec sleep 1000`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := superviseIn(t, dir, c.script)
			first := s.log.await(t, MsgStarted, nil).at
			starts := []time.Time{first}
			warned := false
			for !warned {
				switch e := s.log.next(t, "started or restart loop"); e.msg {
				case MsgRestartLoop:
					warned = true
					if hint, _ := e.attrs["hint"].(string); !slices.Contains(e.paths(), filepath.Join(dir, c.file)) || !strings.Contains(hint, "--ignore '"+c.file+"'") {
						t.Errorf("warning = %v, want %s named and --ignore '%s' suggested", e, c.file, c.file)
					}
				case MsgStarted:
					starts = append(starts, e.at)
					if len(starts) > 4 {
						t.Fatalf("no restart-loop warning by the 4th start; log:\n%s", s.log.text())
					}
				}
			}
			// Held back: a restart comes later than its writes' own pace by
			// more than half a second (back-off 100 ms, doubling).
			pace := starts[1].Sub(starts[0])
			for last := starts[len(starts)-1]; ; {
				at := s.log.await(t, MsgStarted, nil, MsgRestartLoop).at
				if at.Sub(last) > pace+500*time.Millisecond {
					break
				}
				if at.Sub(first) > waitLimit {
					t.Fatalf("restarts every %v or sooner after the warning; the first took %v; log:\n%s", at.Sub(last), pace, s.log.text())
				}
				last = at
			}
			s.stop(t)
		})
	}
}

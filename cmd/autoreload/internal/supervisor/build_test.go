package supervisor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// logLines is a JSON log the test reads message by message.
type logLines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	read int // lines returned by next so far
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// next returns the next logged message whose msg is one of msgs.
func (l *logLines) next(t *testing.T, msgs ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		l.mu.Lock()
		sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
		n := 0
		for sc.Scan() {
			n++
			if n <= l.read {
				continue
			}
			l.read = n
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				for _, msg := range msgs {
					if m["msg"] == msg {
						l.mu.Unlock()
						return m
					}
				}
			}
		}
		text := l.buf.String()
		l.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within %v; log:\n%s", msgs, waitLimit, text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func withLog(opts Options) (Options, *logLines) {
	l := &logLines{}
	opts.Logger = slog.New(slog.NewJSONHandler(l, nil))
	return opts, l
}

// TestBuildStatusIsTheBuilds: the reaper, which reaps every child outside
// the supervisor's group, leaves a build to its own Wait, so each failed
// build reports its own exit code, never a status lost to the reaper.
func TestBuildStatusIsTheBuilds(t *testing.T) {
	file := filepath.Join(t.TempDir(), "record")
	opts, log := withLog(child(t, "record", file))
	opts.Build = ("exit 7")
	s := New(opts)
	runAsync(t, s)
	for i := range 20 {
		if i > 0 {
			s.Restart([]string{"p" + strconv.Itoa(i)})
		}
		if e := log.next(t, "build failed", "started", "built"); e["msg"] != "build failed" || e["code"] != 7.0 {
			t.Fatalf("build %d: %v, want build failed with code 7", i+1, e)
		}
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("COMMAND started although every build failed")
	}
}

// TestFailedBuildKeepsCommand: a failed build leaves COMMAND running and
// restarts nothing; its changes join the next build's start.
func TestFailedBuildKeepsCommand(t *testing.T) {
	dir := t.TempDir()
	file, bad := filepath.Join(dir, "record"), filepath.Join(dir, "bad")
	opts, log := withLog(child(t, "record", file))
	opts.Build = (`test ! -f "$BAD"`)
	opts.Env = append(opts.Env, "BAD="+bad)
	s := New(opts)
	runAsync(t, s)
	log.next(t, "built")
	log.next(t, "started")
	first := testkit.WaitLines(t, file, 1)[0]
	pid, _ := strconv.Atoi(strings.Fields(first)[0])

	if err := os.WriteFile(bad, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.Restart([]string{"x"})
	e := log.next(t, "build failed", "built", "started", "exited")
	if e["msg"] != "build failed" || e["code"] != 1.0 || e["pid"] != float64(pid) {
		t.Fatalf("%v, want build failed with code 1, pid %d still running", e, pid)
	}
	if gone(pid) {
		t.Fatalf("COMMAND %d is gone after a failed build", pid)
	}

	os.Remove(bad)
	s.Restart([]string{"y"})
	log.next(t, "built")
	if got := testkit.WaitLines(t, file, 2)[1]; !strings.HasSuffix(got, " x,y") {
		t.Errorf("the start after the fixed build recorded %q, want AUTORELOAD_CHANGED x and y", got)
	}
}

// TestChangeDuringBuildCancelsIt: a change during a build cancels it and
// starts another with every change; builds cancelled three times in a row
// are worth one warning.
func TestChangeDuringBuildCancelsIt(t *testing.T) {
	dir := t.TempDir()
	file, gate := filepath.Join(dir, "record"), filepath.Join(dir, "gate")
	opts, log := withLog(child(t, "record", file))
	// The first build passes, later ones wait while the gate exists.
	opts.Build = (`while [ -f "$GATE" ]; do sleep 0.01; done`)
	opts.Env = append(opts.Env, "GATE="+gate)
	s := New(opts)
	runAsync(t, s)
	log.next(t, "started")
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		s.Restart([]string{"p" + strconv.Itoa(i)})
		if i > 0 {
			if e := log.next(t, "build cancelled", "build failed", "built", "started"); e["msg"] != "build cancelled" {
				t.Fatalf("change %d during a build: %v, want build cancelled", i, e)
			}
		}
		if i == 3 {
			log.next(t, "build loop")
		}
		log.next(t, "build")
	}
	os.Remove(gate)
	if e := log.next(t, "built", "build failed", "started"); e["msg"] != "built" {
		t.Fatalf("%v, want built", e)
	}
	if got := testkit.WaitLines(t, file, 2)[1]; !strings.HasSuffix(got, " p0,p1,p2,p3") {
		t.Errorf("the start after the cancelled builds recorded %q, want every change", got)
	}
}

// TestKillEndsBuild: after the stop (ctx) a build that ignores the stop
// signal would take the whole grace period; Kill, the second Ctrl-C, ends
// it at once.
func TestKillEndsBuild(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	opts, log := withLog(child(t, "record", filepath.Join(dir, "record")))
	opts.Build = `trap '' TERM; touch "$READY"; while :; do sleep 0.01; done`
	opts.Grace = time.Hour
	opts.Env = append(opts.Env, "READY="+ready)
	s := New(opts)
	cancel, done := runAsync(t, s)
	log.next(t, "build")
	deadline := time.Now().Add(waitLimit)
	for _, err := os.Stat(ready); err != nil; _, err = os.Stat(ready) {
		if time.Now().After(deadline) {
			t.Fatalf("the build did not start within %v", waitLimit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	s.Kill()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return within %v of Kill: the build waits out its hour of grace", waitLimit)
	}
	log.next(t, "build cancelled")
}

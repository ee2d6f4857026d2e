package supervisor

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/writers"
)

// TestLoopRule: a restart counts towards a loop only when every file that
// caused it was the previous run's own write (here: modified within
// writers.Burst of its start; a tree holding files open is tested in
// writers and end to end); the third in a row is a loop, warned about
// once and held back with growing delays; a restart that does not count
// ends the loop and its back-off.
func TestLoopRule(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Command: []string{"true"}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	start := time.Now()
	g := &group{pid: 1, started: start, writes: writers.Record(0, start, start)} // no tree to sample
	defer g.writes.Stop()
	at := func(d time.Duration) modified {
		var m modified
		m.add("/src/log", start.Add(d))
		return m
	}
	var deleted modified
	deleted.add("/src/log", time.Time{})
	cases := []struct {
		name  string
		files []string
		m     modified
		want  bool
	}{
		{"written at start", []string{"/src/log"}, at(50 * time.Millisecond), true},
		{"a person 300 ms later", []string{"/src/log"}, at(300 * time.Millisecond), false},
		{"a person a second later", []string{"/src/main.go"}, at(time.Second), false},
		{"before the start", []string{"/src/main.go"}, at(-time.Second), false},
		{"a deletion", []string{"/src/log"}, deleted, false},
		{"by hand", nil, at(0), false},
	}
	for _, c := range cases {
		if got := s.countsTowardLoop(g, c.files, c.m); got != c.want {
			t.Errorf("%s: counts = %v, want %v", c.name, got, c.want)
		}
	}
	var m modified
	m.add("/src/log", start.Add(50*time.Millisecond))
	m.add("/src/main.go", start.Add(time.Second))
	if s.countsTowardLoop(g, []string{"/src/log", "/src/main.go"}, m) {
		t.Error("a restart with a person's edit among its files counted")
	}

	// Each is held back a little (loopProbe), and from the third on by
	// the loop's back-off too, longer and longer.
	var delays []time.Duration
	for range 5 {
		s.pending, s.modified = []string{"/src/log"}, at(50*time.Millisecond)
		if d, held := s.loopDelay(g); held {
			delays = append(delays, d)
		}
		s.noteRestartCause(g, s.pending, s.modified)
	}
	// The probe's random half is wider than the back-off's first steps:
	// the fifth waits its 400 ms of back-off beyond the least probe.
	if len(delays) != 5 || slices.Min(delays) < loopProbe || delays[4] < loopProbe+400*time.Millisecond {
		t.Errorf("delays of restarts 1..5 of a loop = %v, want each at least %v, and the fifth 400ms of back-off more", delays, loopProbe)
	}
	if n := strings.Count(logs.String(), `"msg":"restart loop"`); n != 1 {
		t.Errorf("%d restart-loop warnings, want 1:\n%s", n, logs.String())
	}
	// A person's edit ends the loop and its back-off.
	s.noteRestartCause(g, []string{"/src/log"}, at(time.Second))
	s.pending, s.modified = []string{"/src/log"}, at(50*time.Millisecond)
	if d, _ := s.loopDelay(g); d >= loopProbe*3/2 {
		t.Errorf("after the loop ended, a restart is held back %v, longer than a probe", d)
	}
}

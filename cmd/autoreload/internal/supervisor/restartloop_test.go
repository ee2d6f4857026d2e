package supervisor

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLoopRule: a restart counts towards a loop only when every file that
// caused it was modified within the window after the previous start; the
// third in a row is a loop, warned about once and held back with growing
// delays; a restart that does not count ends the loop and its back-off.
func TestLoopRule(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Command: []string{"true"}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	start := time.Now()
	g := &group{pid: 1, started: start}
	at := func(d time.Duration) modified {
		var m modified
		m.add(start.Add(d))
		return m
	}
	cases := []struct {
		name  string
		files []string
		m     modified
		want  bool
	}{
		{"written at start", []string{"/src/log"}, at(100 * time.Millisecond), true},
		{"a person a second later", []string{"/src/main.go"}, at(time.Second), false},
		{"before the start", []string{"/src/main.go"}, at(-time.Second), false},
		{"a deletion", []string{"/src/log"}, modified{unknown: true}, false},
		{"by hand", nil, at(0), false},
	}
	for _, c := range cases {
		if got := s.countsTowardLoop(g, c.files, c.m); got != c.want {
			t.Errorf("%s: counts = %v, want %v", c.name, got, c.want)
		}
	}
	var m modified
	m.add(start.Add(100 * time.Millisecond))
	m.add(start.Add(time.Second))
	if s.countsTowardLoop(g, []string{"/src/log", "/src/main.go"}, m) {
		t.Error("a restart with a person's edit among its files counted")
	}

	// Three in a row: the third is held back, then longer and longer.
	var delays []time.Duration
	for range 5 {
		s.pending, s.modified = []string{"/src/log"}, at(50*time.Millisecond)
		d, held := s.loopDelay(g)
		if held {
			delays = append(delays, d)
		}
		s.noteRestartCause(g, s.pending, s.modified)
	}
	if len(delays) != 3 || delays[0] < 100*time.Millisecond || delays[1] <= delays[0] || delays[2] <= delays[1] {
		t.Errorf("delays of restarts 1..5 of a loop = %v, want none for the first two, then growing from 100ms", delays)
	}
	if n := strings.Count(logs.String(), `"msg":"restart loop"`); n != 1 {
		t.Errorf("%d restart-loop warnings, want 1:\n%s", n, logs.String())
	}
	// A person's edit ends the loop and its back-off.
	s.noteRestartCause(g, []string{"/src/main.go"}, at(time.Second))
	s.pending, s.modified = []string{"/src/log"}, at(50*time.Millisecond)
	if d, held := s.loopDelay(g); held {
		t.Errorf("after the loop ended, a restart is held back %v", d)
	}
}

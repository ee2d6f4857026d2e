package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Restart loops: COMMAND writes into the watched tree as it starts (a log,
// a SQLite file), so each start causes the next. A restart counts towards
// a loop when every file that caused it was modified within LoopWindow
// after the previous start of COMMAND (by the files' own modification
// times, so a slow poller or a busy machine cannot make a person's edit
// look like one); loopAfter such restarts in a row are a loop. A person
// saving a second or so after each restart never is.
//
// A loop is warned about once per set of files, and slowed down as the
// exit-3 loop is: from its third restart on, each waits 100 ms, doubling
// to 5 s, so at most a dozen starts happen in the first ten seconds. The
// old COMMAND runs meanwhile. A change that is not the loop's (a person's
// edit to another file) restarts at once, and ends the loop and its
// back-off.

// loopAfter is how many restarts in a row by freshly written files make a
// restart loop.
const loopAfter = 3

// loopSlop allows for file times taken from a coarse clock: a file written
// as COMMAND starts may be stamped a few milliseconds before its start.
const loopSlop = 20 * time.Millisecond

// loopState is the restart-loop bookkeeping, owned by Run's goroutine.
type loopState struct {
	runs   int      // restarts in a row that counted
	paths  []string // the files that caused them, the first ten
	warned map[string]bool
	back   *backoff
}

func newLoopState() loopState {
	return loopState{warned: map[string]bool{},
		back: &backoff{min: 100 * time.Millisecond, max: 5 * time.Second, calm: time.Hour}}
}

// modified is what the pending restart requests told of their files'
// modification times: the span, and whether some file had none.
type modified struct {
	earliest, latest time.Time
	unknown          bool
}

func (m *modified) add(t time.Time) {
	switch {
	case t.IsZero():
		m.unknown = true
	case m.earliest.IsZero():
		m.earliest, m.latest = t, t
	default:
		m.earliest, m.latest = minTime(m.earliest, t), maxTime(m.latest, t)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// MsgRestartLoop warns of a restart loop: paths, count, hint.
const MsgRestartLoop = "restart loop"

// countsTowardLoop reports whether a restart of prev for changed files
// with modification times m counts towards a loop.
func (s *Supervisor) countsTowardLoop(prev *group, changed []string, m modified) bool {
	return len(changed) > 0 && !m.unknown && !m.earliest.IsZero() && prev.failed == nil &&
		!m.earliest.Before(prev.started.Add(-loopSlop)) && !m.latest.After(prev.started.Add(s.opts.LoopWindow))
}

// loopDelay is how long the pending restart of g waits: zero unless it
// would be part of a loop.
func (s *Supervisor) loopDelay(g *group) (time.Duration, bool) {
	s.mu.Lock()
	changed, m := s.pending, s.modified
	s.mu.Unlock()
	if !s.countsTowardLoop(g, changed, m) || s.loop.runs+1 < loopAfter {
		return 0, false
	}
	return s.loop.back.next(0), true
}

// noteRestartCause counts the restart of prev towards a loop, or ends the
// loop, and warns when a loop is recognised.
func (s *Supervisor) noteRestartCause(prev *group, changed []string, m modified) {
	if !s.countsTowardLoop(prev, changed, m) {
		s.loop.runs, s.loop.paths = 0, nil
		s.loop.back.streak = 0
		return
	}
	s.loop.runs++
	for _, p := range changed {
		if len(s.loop.paths) < 10 && !contains(s.loop.paths, p) {
			s.loop.paths = append(s.loop.paths, p)
		}
	}
	if s.loop.runs < loopAfter {
		return
	}
	fresh := false
	for _, p := range s.loop.paths {
		if !s.loop.warned[p] {
			s.loop.warned[p], fresh = true, true
		}
	}
	if fresh {
		s.log.Warn(MsgRestartLoop, "paths", s.loop.paths, "count", s.loop.runs, "hint", loopHint(s.loop.paths))
	}
}

// loopHint names the --ignore options that would end the loop.
func loopHint(paths []string) string {
	wd, _ := os.Getwd()
	var opts []string
	for _, p := range paths {
		if rel, err := filepath.Rel(wd, p); err == nil && wd != "" && !strings.HasPrefix(rel, "..") {
			p = rel
		}
		opts = append(opts, "--ignore '"+strings.ReplaceAll(p, "'", `'\''`)+"'")
	}
	return "these files change within half a second of each start, so COMMAND probably writes them; " +
		"restarts are slowed down; if it does, exclude them: " + strings.Join(opts, " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

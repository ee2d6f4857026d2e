package supervisor

import (
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Restart loops: COMMAND writes into the watched tree as it starts (a log,
// a SQLite file), so each start causes the next. A restart counts towards
// a loop when every file that caused it was the previous run's own write
// (package writers: modified within 100 ms of its start, or while its
// process tree held the file open for writing); loopAfter such restarts
// in a row are a loop. How soon a file changed after a start says nothing
// more: a person saving every half second changes files as soon after
// each start as a COMMAND writing its log does, and is never a loop.
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
// modification times (zero when unknown, as for a deletion), and whether
// some request had no files (by hand) or more than are kept.
type modified struct {
	times   map[string]time.Time
	unknown bool
}

// add notes path's time; of a path reported twice, the later report
// tells its state.
func (m *modified) add(path string, t time.Time) {
	if m.times == nil {
		m.times = map[string]time.Time{}
	}
	if _, ok := m.times[path]; !ok && len(m.times) >= maxChanged {
		m.unknown = true
		return
	}
	m.times[path] = t
}

// MsgRestartLoop warns of a restart loop: paths, count, hint.
const MsgRestartLoop = "restart loop"

// countsTowardLoop reports whether a restart of prev for changed files
// with modification times m counts towards a loop: each of them was
// prev's own write.
func (s *Supervisor) countsTowardLoop(prev *group, changed []string, m modified) bool {
	if len(changed) == 0 || m.unknown || len(m.times) == 0 || prev.failed != nil {
		return false
	}
	for path, t := range m.times {
		if !prev.writes.Wrote(path, t) {
			return false
		}
	}
	return true
}

// loopProbe is the least time a restart that counts towards a loop
// waits, beside the old COMMAND, and half of it more at random. A person
// whose save happened to land just after a start would land just after
// the next one too if restarts kept pace with their saves; a COMMAND's
// write follows its start whenever it comes. The wait outlasts a fast
// person's next save (every 0.3 or 0.5 s, reported up to 100 ms late on
// a loaded machine), which then lands during it and restarts at once,
// ending the count. It is timed from the request, not from the start:
// with a restart path of ~10 ms, a wait of 150-225 ms put the next save
// of a person saving every 0.3 s 40-115 ms after the next start, inside
// the 100 ms that count, three times in a row.
const loopProbe = 600 * time.Millisecond

// loopDelay is how long the pending restart of g waits: zero unless it
// counts towards a loop (see loopProbe), then the loop's back-off once it
// is one.
func (s *Supervisor) loopDelay(g *group) (time.Duration, bool) {
	s.mu.Lock()
	changed, m := s.pending, modified{times: maps.Clone(s.modified.times), unknown: s.modified.unknown}
	s.mu.Unlock()
	if !s.countsTowardLoop(g, changed, m) {
		return 0, false
	}
	d := loopProbe + rand.N(loopProbe/2)
	if s.loop.runs+1 >= loopAfter {
		d += s.loop.back.next(0)
	}
	return d, true
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
	return "COMMAND writes these files as it starts (they change just after each start, or while it holds them open), " +
		"so each start causes the next; restarts are slowed down; exclude them: " + strings.Join(opts, " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package watchman

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/autoreload/autoreload/watchman/spec"
)

// A subscription follows ignore-file changes as the poller does: the files
// themselves are in every directory subscription's expression (whatever
// the spec says of them), so their changes arrive as notifications. Each
// one is re-read before the notification's files are filtered with Selects,
// which therefore always decides with the current rules; the ignore file
// is then dropped like any file the spec does not select. info/exclude and
// the global file are looked at on every notification and health tick.
//
// The daemon-side part of the rules, the dirname terms of ignored
// directories, can go stale: a directory that stops being ignored would
// stay hidden by the daemon. So after a change Next re-subscribes every
// target whose expression changed, since the clock that preceded the
// notification carrying the change: nothing written in a directory that
// stops being ignored is lost, whatever the timing, at the price of the
// few changes of that notification possibly coming twice. The old
// subscription is cancelled only once the new one is in place.

// ignoreFileTerm selects the ignore files at any depth.
var ignoreFileTerm = []any{"allof", []any{"type", "f"}, []any{"name", []any{".gitignore", ".ignore"}, "basename"}}

// subscribeExpression is the expression a target subscribes with: the
// spec's, plus the ignore files.
func (t *target) subscribeExpression(spec *spec.Spec) []any {
	expr := t.expression(spec)
	if t.names == nil && spec.UsesIgnoreFiles() {
		expr = []any{"anyof", expr, ignoreFileTerm}
	}
	return expr
}

// subscribeQuery is t's subscribe query since t.clock; it records the
// expression in t.
func (s *Subscription) subscribeQuery(t *target) map[string]any {
	t.expr = t.subscribeExpression(s.spec)
	q := map[string]any{
		"expression":    t.expr,
		"fields":        fields,
		"since":         t.clock,
		"dedup_results": true,
		"defer_vcs":     true,
	}
	if t.rel != "" {
		q["relative_root"] = t.rel
	}
	if len(s.opts.DeferStates) > 0 {
		q["defer"] = s.opts.DeferStates
	}
	return q
}

func (s *Subscription) target(name string) *target {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return s.targets[name]
}

// targetList returns the targets in a stable order.
func (s *Subscription) targetList() []*target {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	list := make([]*target, 0, len(s.targets))
	for _, t := range s.targets {
		list = append(list, t)
	}
	slices.SortFunc(list, func(a, b *target) int { return strings.Compare(a.name, b.name) })
	return list
}

// noteRules re-reads the ignore files among the changes of one
// notification of t, and records its clock. Whoever re-read a changed
// file first (this subscription, or the poller that runs beside it while
// the watcher switches back), the rules' generation tells it moved: every
// target then refreshes since the clock that preceded this notification.
func (s *Subscription) noteRules(t *target, pdu response, b spec.Batch) {
	s.spec.SharedIgnoreFilesChanged(0)
	for _, c := range b.Changes {
		if spec.IsIgnoreFileName(filepath.Base(c.Path)) {
			s.spec.IgnoreFileChanged(c.Path, 0)
		}
	}
	moved := s.rulesMoved()
	clock, _ := pdu["clock"].(string)
	s.tmu.Lock()
	if moved {
		s.markRefreshLocked()
	}
	if clock != "" {
		t.clock = clock
	}
	s.tmu.Unlock()
	if moved {
		s.rulesMayHaveChanged()
	}
}

// noteSharedRules is noteRules for info/exclude and the global file, which
// no notification reports, and for changes another user of the spec read,
// when no notification comes: it runs on every health tick.
func (s *Subscription) noteSharedRules() {
	s.spec.SharedIgnoreFilesChanged(0)
	if !s.rulesMoved() {
		return
	}
	s.tmu.Lock()
	s.markRefreshLocked()
	s.tmu.Unlock()
	s.rulesMayHaveChanged()
}

// rulesMoved reports whether the spec's rules changed since the generation
// last noted, and notes the current one.
func (s *Subscription) rulesMoved() bool {
	g := s.spec.Generation()
	for {
		old := s.rulesSeen.Load()
		if g <= old {
			return false
		}
		if s.rulesSeen.CompareAndSwap(old, g) {
			return true
		}
	}
}

// markRefreshLocked makes every target refresh since its current clock,
// unless an earlier change already set where from.
func (s *Subscription) markRefreshLocked() {
	for _, t := range s.targets {
		if t.refreshFrom == "" {
			t.refreshFrom = t.clock
		}
	}
}

func (s *Subscription) rulesMayHaveChanged() {
	s.rulesChanged.Store(true)
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// refreshIfNeeded re-subscribes the targets whose expression the ignore
// rules changed. A failure of the daemon ends the subscription.
func (s *Subscription) refreshIfNeeded(ctx context.Context) error {
	if !s.rulesChanged.Swap(false) || s.failure() != nil {
		return nil
	}
	for _, t := range s.targetList() {
		if t.names != nil {
			continue
		}
		s.tmu.Lock()
		since := cmp.Or(t.refreshFrom, t.clock)
		t.refreshFrom = ""
		s.tmu.Unlock()
		if reflect.DeepEqual(t.subscribeExpression(s.spec), t.expr) {
			continue
		}
		nt := &target{dir: t.dir, watch: t.watch, rel: t.rel, id: t.id, clock: since,
			name: fmt.Sprintf("autoreload-%d-%d", os.Getpid(), subscriptionSeq.Add(1))}
		q := s.subscribeQuery(nt)
		s.tmu.Lock()
		s.targets[nt.name] = nt // before subscribing: its first notification may come first
		s.tmu.Unlock()
		_, err := s.roundTrip(ctx, "subscribe "+t.dir, &subscribeRequest{watch: nt.watch, name: nt.name, query: q})
		s.tmu.Lock()
		if err == nil {
			delete(s.targets, t.name) // from now on its notifications are dropped
		} else {
			delete(s.targets, nt.name)
		}
		s.tmu.Unlock()
		if err == nil {
			_, err = s.roundTrip(ctx, "unsubscribe "+t.dir, unsubscribeRequest(t.watch, t.name))
		}
		if err != nil {
			if ctx.Err() != nil {
				s.rulesChanged.Store(true) // try again on the next call
				return err
			}
			s.fail(err)
			return err
		}
	}
	return nil
}

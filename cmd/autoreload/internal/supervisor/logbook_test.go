package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The scenario tests (tree, pid reuse, restart loop) follow a Supervisor
// through its log, as the end-to-end tests follow autoreload through its
// JSON log: a logbook records every line, Debug included.

// entry is one logged line: its message, attributes and time.
type entry struct {
	msg   string
	at    time.Time
	attrs map[string]any
}

// pid is the line's pid attribute (slog keeps an int as int64), 0 without.
func (e entry) pid() int { p, _ := e.attrs["pid"].(int64); return int(p) }

func (e entry) paths() []string { p, _ := e.attrs["paths"].([]string); return p }

func (e entry) String() string { return fmt.Sprintf("%s %v", e.msg, e.attrs) }

// logbook is a slog.Handler that keeps what is logged for a test to await.
type logbook struct {
	c   chan entry
	mu  sync.Mutex
	all []string // every line, for failure messages
}

func (l *logbook) Enabled(context.Context, slog.Level) bool { return true }
func (l *logbook) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logbook) WithGroup(string) slog.Handler            { return l }

func (l *logbook) Handle(_ context.Context, r slog.Record) error {
	e := entry{msg: r.Message, at: r.Time, attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.Resolve().Any()
		return true
	})
	l.mu.Lock()
	l.all = append(l.all, e.String())
	l.mu.Unlock()
	select {
	case l.c <- e:
	default:
		panic("logbook: too many lines unread")
	}
	return nil
}

func (l *logbook) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// next returns the next line, failing the test after waitLimit.
func (l *logbook) next(t *testing.T, what string) entry {
	t.Helper()
	select {
	case e := <-l.c:
		return e
	case <-time.After(waitLimit):
		t.Fatalf("no %s within %v; log:\n%s", what, waitLimit, l.text())
	}
	return entry{}
}

// await skips lines until one with msg for which ok holds (ok may be nil);
// it fails on a line whose msg is in forbidden.
func (l *logbook) await(t *testing.T, msg string, ok func(entry) bool, forbidden ...string) entry {
	t.Helper()
	for {
		e := l.next(t, msg)
		for _, f := range forbidden {
			if e.msg == f {
				t.Fatalf("got %q while waiting for %q: %v; log:\n%s", f, msg, e, l.text())
			}
		}
		if e.msg == msg && (ok == nil || ok(e)) {
			return e
		}
	}
}

// rest returns the lines not read yet.
func (l *logbook) rest() []entry {
	var out []entry
	for len(l.c) > 0 {
		out = append(out, <-l.c)
	}
	return out
}

// supervised is a Supervisor running in the test, with its log.
type supervised struct {
	*Supervisor
	log    *logbook
	cancel func()
	done   <-chan error
}

// supervise runs a Supervisor for opts until the test ends, logging into a
// logbook.
func supervise(t *testing.T, opts Options) *supervised {
	t.Helper()
	l := &logbook{c: make(chan entry, 10000)}
	opts.Logger = slog.New(l)
	s := New(opts)
	cancel, done := runAsync(t, s)
	return &supervised{Supervisor: s, log: l, cancel: cancel, done: done}
}

// stop ends Run, as the command does on SIGINT, and expects nil from it.
// It returns the lines not read before.
func (s *supervised) stop(t *testing.T) []entry {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("Run = %v after cancel, want nil", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return within %v of cancel; log:\n%s", waitLimit, s.log.text())
	}
	return s.log.rest()
}

// shell returns options running `sh -c script sh args...` as COMMAND.
func shell(t *testing.T, script string, args ...string) Options {
	t.Helper()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	return Options{
		Command: append([]string{"sh", "-c", script, "sh"}, args...),
		Grace:   5 * time.Second,
		Stdin:   devnull, // never a terminal: job control is not under test here
	}
}

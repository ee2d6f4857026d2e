package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/watchman/spec"
)

// scriptedWatcher delivers its batches, then ends follow by cancelling.
// Watchman's fresh instance (unknown changes) cannot be caused on demand
// by a real daemon, hence this stand-in.
type scriptedWatcher struct {
	batches []spec.Batch
	cancel  context.CancelFunc
}

func (w *scriptedWatcher) Next(ctx context.Context) (spec.Batch, error) {
	if len(w.batches) == 0 {
		w.cancel()
		<-ctx.Done()
		return spec.Batch{}, ctx.Err()
	}
	b := w.batches[0]
	w.batches = w.batches[1:]
	return b, nil
}

func (w *scriptedWatcher) Close() error { return nil }

type restarts [][]string

func (r *restarts) RestartChanges(changes []supervisor.Change) {
	paths := make([]string, len(changes))
	for i, c := range changes {
		paths[i] = c.Path
	}
	*r = append(*r, paths)
}

// followBatches runs follow over batches with roots and returns what the
// supervisor was asked and the JSON log lines.
func followBatches(t *testing.T, roots []string, batches ...spec.Batch) (restarts, []map[string]any) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got restarts
	var logs bytes.Buffer
	w := &scriptedWatcher{batches: batches, cancel: cancel}
	if err := follow(ctx, w, roots, &got, nil, slog.New(slog.NewJSONHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		events = append(events, e)
	}
	return got, events
}

func changes(paths ...string) []spec.Change {
	var cs []spec.Change
	for _, p := range paths {
		cs = append(cs, spec.Change{Path: p, Exists: true})
	}
	return cs
}

func TestUnknownChangesNameTheRoots(t *testing.T) {
	roots := []string{"/src/app", "/src/lib"}
	got, events := followBatches(t, roots, spec.Batch{Unknown: true})
	if len(got) != 1 || !slices.Equal(got[0], roots) {
		t.Fatalf("restarts = %q, want one with the roots %q", got, roots)
	}
	e := events[0]
	if e["msg"] != "changed" || e["unknown"] != true || e["count"] != 2.0 || fmt.Sprint(e["paths"]) != "[/src/app /src/lib]" {
		t.Errorf("log = %v, want changed with paths = the roots, count 2, unknown true", e)
	}
}

// TestUnknownRootsSurviveTheCap: merged with many changes, the roots come
// first, so the 1,000-path cap of AUTORELOAD_CHANGED never drops them.
func TestUnknownRootsSurviveTheCap(t *testing.T) {
	many := make([]string, 1500)
	for i := range many {
		many[i] = fmt.Sprintf("/src/app/f%d.go", i)
	}
	got, events := followBatches(t, []string{"/src/app"}, spec.Batch{Unknown: true, Changes: changes(many...)})
	if len(got) != 1 || got[0][0] != "/src/app" || len(got[0]) != 1501 {
		t.Fatalf("restart with %d paths starting %q, want 1501 starting with the root", len(got[0]), got[0][0])
	}
	if e := events[0]; e["count"] != 1501.0 || len(e["paths"].([]any)) != maxLoggedPaths {
		t.Errorf("log: count %v and %d paths, want 1501 and %d", e["count"], len(e["paths"].([]any)), maxLoggedPaths)
	}
}

// TestNewlineInPathNamesTheRoots: AUTORELOAD_CHANGED is one path a line,
// so a path holding a newline is reported as the roots.
func TestNewlineInPathNamesTheRoots(t *testing.T) {
	got, _ := followBatches(t, []string{"/src"},
		spec.Batch{Changes: changes("/src/a.go", "/src/odd\nname.go", "/src/other\nodd.go")},
		spec.Batch{Changes: changes("/src/b.go")})
	want := restarts{{"/src", "/src/a.go"}, {"/src/b.go"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restarts = %q, want %q", got, want)
	}
}

func TestFollowEndsWithTheWatcherError(t *testing.T) {
	w := failingWatcher{errors.New("watchman unavailable (disconnected)")}
	err := follow(context.Background(), w, nil, new(restarts), nil, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "watch: watchman unavailable") {
		t.Errorf("follow = %v, want the watcher's error wrapped with watch:", err)
	}
}

type failingWatcher struct{ err error }

func (w failingWatcher) Next(context.Context) (spec.Batch, error) { return spec.Batch{}, w.err }
func (w failingWatcher) Close() error                             { return nil }

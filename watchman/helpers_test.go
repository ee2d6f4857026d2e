package watchman

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// wait bounds every wait for an event in these tests: generous, because the
// machine is shared and tests run under -race.
const wait = 20 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// project makes a directory that Watchman treats as a project root.
func project(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, filepath.Join(dir, ".watchmanconfig"), "{}")
	return dir
}

func newSpec(t testing.TB, opts spec.Options) *spec.Spec {
	t.Helper()
	s, err := spec.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// subscribe subscribes against d and closes the subscription at test end.
func subscribe(t testing.TB, d *watchmantest.Daemon, spec *spec.Spec, opts Options) *Subscription {
	t.Helper()
	opts.Sock = d.Sock
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := Subscribe(ctx, spec, opts)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// next waits for one batch.
func next(t testing.TB, s *Subscription) spec.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("waiting %s for a batch: %v", wait, err)
	}
	return b
}

// collect takes batches until every path in want has been seen, and returns
// the last state of each path seen and the number of batches taken.
func collect(t testing.TB, s *Subscription, want ...string) (map[string]spec.Change, int) {
	t.Helper()
	seen := map[string]spec.Change{}
	n := 0
	for {
		missing := slices.DeleteFunc(slices.Clone(want), func(p string) bool { _, ok := seen[p]; return ok })
		if len(missing) == 0 {
			return seen, n
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		b, err := s.Next(ctx)
		cancel()
		if err != nil {
			if len(missing) > 3 {
				missing = append(missing[:3], fmt.Sprintf("and %d more", len(missing)-3))
			}
			t.Fatalf("waiting %s for %v (seen %d paths): %v", wait, missing, len(seen), err)
		}
		n++
		if b.Unknown {
			t.Fatalf("unexpected unknown changes while waiting for %v", missing)
		}
		for _, c := range b.Changes {
			seen[c.Path] = c
		}
	}
}

// quiet asserts that no batch comes within d: a negative assertion needs a
// window, kept short.
func quiet(t testing.TB, s *Subscription, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	b, err := s.Next(ctx)
	if err == nil {
		t.Fatalf("unexpected batch: %+v", b)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unexpected error: %v", err)
	}
}

// waitErr waits for Next to fail and returns the error and how long it took.
func waitErr(t testing.TB, s *Subscription) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, err := s.Next(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("no error within %s", wait)
			}
			return err, time.Since(start)
		}
	}
}

// pathsOf returns the changed paths of b in delivery order.
func pathsOf(b spec.Batch) []string {
	paths := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		paths[i] = c.Path
	}
	return paths
}

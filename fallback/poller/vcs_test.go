package poller

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

func testLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func step(t *testing.T, p *Poller) bool {
	t.Helper()
	held, err := p.step(context.Background())
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	return held
}

func TestPollerHoldsBackDuringGitLock(t *testing.T) {
	repo := t.TempDir()
	tree(t, repo, map[string]string{".git/HEAD": "ref", "src/a.go": "1", "src/b.go": "1"})
	root := filepath.Join(repo, "src") // a root below the repository's top
	lock := filepath.Join(repo, ".git", "index.lock")
	p := newPoller(t, spec.Options{Watch: []string{root}}, Options{Interval: time.Millisecond})
	scanNow(t, p)

	testkit.Write(t, lock, "")
	testkit.Write(t, filepath.Join(root, "a.go"), "22")
	if !step(t, p) {
		t.Fatal("a scan while index.lock exists was not held back")
	}
	testkit.Write(t, filepath.Join(root, "b.go"), "22")
	testkit.Write(t, filepath.Join(root, "a.go"), "333")
	if !step(t, p) {
		t.Fatal("second scan while index.lock exists was not held back")
	}
	os.Remove(lock)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := p.Next(ctx)
	if err != nil {
		t.Fatalf("Next after the lock went: %v", err)
	}
	expect(t, root, b, map[string]bool{"a.go": true, "b.go": true})
	expectQuiet(t, p, root, 2)
}

// A lock that appears while a walk is under way holds back what that walk
// found: the lock is looked for after the walk as well as before.
func TestPollerLockDuringWalk(t *testing.T) {
	repo := t.TempDir()
	tree(t, repo, map[string]string{".hg/store/x": "", "a.go": "1"})
	p := newPoller(t, spec.Options{Watch: []string{repo}}, Options{})
	scanNow(t, p)
	lock := filepath.Join(repo, ".hg", "wlock")
	testkit.Write(t, filepath.Join(repo, "a.go"), "22")
	p.onStat = func(string, string) { os.Symlink("host:1234", lock) } // hg's locks are symlinks
	if !step(t, p) {
		t.Fatal("a scan during which wlock appeared was not held back")
	}
	p.onStat = nil
	if len(p.pending) != 1 {
		t.Fatalf("pending = %v, want a.go", p.pending)
	}
	os.Remove(lock)
	expect(t, repo, scanNow(t, p), map[string]bool{"a.go": true})
}

func TestPollerStaleLock(t *testing.T) {
	repo := t.TempDir()
	tree(t, repo, map[string]string{".git/index.lock": "", "a.go": "1"})
	lock := filepath.Join(repo, ".git", "index.lock")
	old := time.Now().Add(-2 * staleLockAge)
	os.Chtimes(lock, old, old)
	var logs strings.Builder
	p := newPoller(t, spec.Options{Watch: []string{repo}}, Options{Logger: testLogger(&logs)})
	scanNow(t, p)
	for i := range 3 {
		testkit.Write(t, filepath.Join(repo, "a.go"), strings.Repeat("x", i+2))
		if step(t, p) {
			t.Fatalf("scan %d held back by a lock older than %v", i, staleLockAge)
		}
	}
	if n := strings.Count(logs.String(), "stale VCS lock"); n != 1 {
		t.Fatalf("stale lock logged %d times, want once:\n%s", n, logs.String())
	}
	// A fresh lock holds again.
	os.Chtimes(lock, time.Now(), time.Now())
	if !step(t, p) {
		t.Fatal("a fresh lock did not hold changes back")
	}
}

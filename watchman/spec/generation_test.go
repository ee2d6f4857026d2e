package spec

import (
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestEveryConsumerSeesARuleChange: the poller and a Watchman subscription
// share one spec. Whichever re-reads a changed ignore file first, the
// other still learns of the change by the generation it last acted on.
func TestEveryConsumerSeesARuleChange(t *testing.T) {
	dir := watchmantest.GitRepo(t, "", map[string]string{".gitignore": "/build/\n", "build/a.go": ""})
	s := newSpec(t, Options{Watch: []string{dir}})
	if s.Selects(filepath.Join(dir, "build", "a.go")) {
		t.Fatal("build/a.go selected before the edit")
	}
	poller, sub := s.Generation(), s.Generation()

	testkit.Write(t, filepath.Join(dir, ".gitignore"), "# nothing ignored\n")
	if !s.IgnoreFilesChanged(dir, -1, poller) {
		t.Fatal("the first consumer missed the edit")
	}
	if !s.IgnoreFileChanged(filepath.Join(dir, ".gitignore"), sub) {
		t.Fatal("the second consumer missed the edit the first one read")
	}
	if s.Generation() == sub {
		t.Fatal("the generation did not move")
	}
	if !s.Selects(filepath.Join(dir, "build", "a.go")) {
		t.Fatal("build/a.go not selected after the edit")
	}
	// A consumer that acted on the new generation is told nothing more.
	if now := s.Generation(); s.IgnoreFilesChanged(dir, -1, now) || s.IgnoreFileChanged(filepath.Join(dir, ".gitignore"), now) {
		t.Fatal("a change reported again after it was acted on")
	}

	exclude := filepath.Join(dir, ".git", "info", "exclude")
	poller, sub = s.Generation(), s.Generation()
	testkit.Write(t, exclude, "*.tmp\n")
	if !s.SharedIgnoreFilesChanged(sub) || !s.SharedIgnoreFilesChanged(poller) {
		t.Fatal("a consumer missed the edit of info/exclude")
	}
	if s.SharedIgnoreFilesChanged(s.Generation()) {
		t.Fatal("info/exclude reported again after it was acted on")
	}
}

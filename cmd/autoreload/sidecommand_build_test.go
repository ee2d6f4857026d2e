//go:build linux

package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestSideCommandNeverDuringABuild: a side command waits for the build
// under way.
func TestSideCommandNeverDuringABuild(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "log")
	dir := projectDir(t, `
command = ["sleep", "60"]
build = "echo build >> `+log+`; sleep 1; echo built >> `+log+`"

[[on]]
pattern = "*.templ"
run = "echo side >> `+log+`"
`)
	s := startAutoreload(t, dir)
	awaitAll(s, []string{"build", "built", "watching", "started"})
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main")
	s.await("build", nil)
	testkit.Write(t, filepath.Join(dir, "page.templ"), "x")
	s.await("running", nil)
	s.await("started", nil)
	// The side command runs beside the restart: its line may follow the
	// start.
	if got := testkit.WaitLines(t, log, 5); !slices.Equal(got, []string{"build", "built", "build", "built", "side"}) {
		t.Errorf("log %q, want the side command after the second build", got)
	}
	s.stop()
}

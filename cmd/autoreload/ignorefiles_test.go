package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestIgnoredWritesDoNotRestart: in a git repository, files that
// .gitignore excludes (build output, dependencies) never restart COMMAND;
// the next change of a source file restarts it once, naming only itself.
func TestIgnoredWritesDoNotRestart(t *testing.T) {
	t.Run("stat", func(t *testing.T) { testIgnoredWrites(t, nil, "--reloader=stat") })
	t.Run("watchman", func(t *testing.T) {
		d := watchmantest.Start(t)
		testIgnoredWrites(t, []string{"WATCHMAN_SOCK=" + d.Sock}, "--reloader=watchman")
	})
}

func testIgnoredWrites(t *testing.T, env []string, reloader string) {
	dir := watchmantest.GitRepo(t, "*.swo\n", map[string]string{
		".gitignore": "/bin/\nnode_modules/\n*.log\n", "main.go": "package main\n",
		"bin/app": "", "node_modules/m/i.js": "", "sub/keep.go": "",
	})
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreloadEnv(t, dir, env, reloader, "--", helper, "env", out)
	s.ready()
	testkit.WaitLines(t, out, 1)
	for range 3 {
		for _, f := range []string{"bin/app", "bin/new", "node_modules/m/i.js", "x.log", "sub/y.log", "a.swo"} {
			testkit.Write(t, filepath.Join(dir, f), "built")
		}
	}
	src := filepath.Join(dir, "main.go")
	testkit.Write(t, src, "package main // changed\n")
	changed := s.await("changed", nil, "started")
	if got := changed.paths(); !slices.Equal(got, []string{src}) {
		t.Fatalf("changed paths = %v, want only %s", got, src)
	}
	s.await("started", nil)
	starts := countMsg(s.stop(), "started")
	if starts != 0 {
		t.Errorf("%d more starts after the one restart; log:\n%s", starts, s.logText())
	}
}

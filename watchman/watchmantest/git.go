package watchmantest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// GitRepo makes a git repository with nothing committed holding files
// (slash-separated path → content), and keeps the user's git configuration
// out of the test: HOME and XDG_CONFIG_HOME point into t.TempDir(), the
// system configuration is skipped. globalExcludes, when not empty, becomes
// the global excludes file at its default place
// ($XDG_CONFIG_HOME/git/ignore). It returns the repository's real path (the
// daemon reports paths with symlinks resolved).
func GitRepo(t *testing.T, globalExcludes string, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
	if globalExcludes != "" {
		writeFile(t, filepath.Join(home, ".config", "git", "ignore"), globalExcludes)
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	for rel, data := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(rel)), data)
	}
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

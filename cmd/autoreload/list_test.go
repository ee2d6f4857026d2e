package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// listTree is a tree with every kind of ignore: a .gitignore, an .ignore,
// a default ignore, --ignore patterns with and without '/', and files that
// --ext leaves out.
func listTree(t *testing.T) (dir string, files []string) {
	t.Helper()
	dir = t.TempDir()
	files = []string{
		".gitignore", ".ignore", "main.go", "README.md", "server.log",
		"pkg/a.go", "pkg/a_test.go", "pkg/.a.go.swp", "pkg/gen/g.go", "pkg/gen/keep.go",
		"node_modules/m/i.js", "vendor/v.go", "docs/d.md", "tmp/t.go", "bin/server",
	}
	for _, f := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		testkit.Write(t, filepath.Join(dir, f), "x")
	}
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	testkit.Write(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	testkit.Write(t, filepath.Join(dir, ".gitignore"), "node_modules/\n/bin\n")
	testkit.Write(t, filepath.Join(dir, ".ignore"), "tmp/\n")
	return dir, files
}

var listArgs = []string{"-e", "go,md", "-i", "vendor", "-i", "pkg/gen/g.go", "-i", "*_test.go"}

// TestListIsWhatRestarts: --list prints exactly the files the spec selects
// (the backends' one matching function), relative and one a line, and a
// change to each of them, and to none of the others, restarts COMMAND.
func TestListIsWhatRestarts(t *testing.T) {
	t.Parallel()
	dir, files := listTree(t)
	cmd := exec.Command(binary, append(append([]string{"--list"}, listArgs...), "--", helper, "exit", "1")...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("--list: %v; stderr %s", err, stderr.String())
	}
	listed := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")

	s, err := spec.New(spec.Options{Watch: []string{dir}, Exts: []string{"go", "md"}, Ignores: []string{"vendor", "pkg/gen/g.go", "*_test.go"}})
	if err != nil {
		t.Fatal(err)
	}
	var selected []string
	for _, f := range files {
		if s.Selects(filepath.Join(dir, f)) {
			selected = append(selected, f)
		}
	}
	slices.Sort(selected)
	sortedListed := slices.Sorted(slices.Values(listed))
	if !slices.Equal(sortedListed, selected) {
		t.Fatalf("--list printed %q; the spec selects %q", listed, selected)
	}
	if want := []string{"README.md", "docs/d.md", "main.go", "pkg/a.go", "pkg/gen/keep.go"}; !slices.Equal(sortedListed, want) {
		t.Errorf("--list printed %q, want %q", sortedListed, want)
	}

	// The backend agrees: of a change to every file, the listed ones, and
	// only they, are reported.
	s2 := startAutoreload(t, dir, append(listArgs, "--", helper, "exit", "1")...)
	s2.ready()
	for _, f := range files {
		// Not the ignore files: their content decides the rest.
		if !slices.Contains(listed, f) && !strings.HasSuffix(f, "ignore") {
			testkit.Write(t, filepath.Join(dir, f), "changed")
		}
	}
	for _, f := range listed {
		testkit.Write(t, filepath.Join(dir, f), "changed")
	}
	seen := map[string]bool{}
	for len(seen) < len(listed) {
		for _, p := range s2.await("changed", nil).paths() {
			rel, _ := filepath.Rel(dir, p)
			if !slices.Contains(listed, rel) {
				t.Fatalf("a change to %s was reported, which --list does not print", rel)
			}
			seen[rel] = true
		}
	}
	s2.stop()
}

// TestListNeedsNoCommandAndRunsNone: --list with no COMMAND exits 0, and
// logs stay on stderr.
func TestListNeedsNoCommandAndRunsNone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testkit.Write(t, filepath.Join(dir, "notes.txt"), "x")
	marker := filepath.Join(dir, "ran")
	for _, args := range [][]string{{"--list", "-p", ".txt"}, {"--list", "-p", ".txt", "--", "touch", marker}} {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%q: %v; stderr %s", args, err, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q printed %q, want no file", args, stdout.String())
		}
		want := "autoreload: -p '.txt' matches no file; did you mean '*.txt' or --ext txt?\n"
		if stderr.String() != want {
			t.Errorf("%q: stderr %q, want %q", args, stderr.String(), want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("--list ran COMMAND")
	}
}

func TestUnmatchedHints(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"-p", ".txt", "did you mean '*.txt' or --ext txt?"},
		{"-p", "txt", "did you mean '*.txt' or --ext txt, or '*txt*'?"},
		{"-p", "src/*.go", "a pattern with '/' matches the path below the watched directory; '**/' in front matches at any depth"},
		{"-p", "*.txt", ""},
	} {
		if got := unmatchedHint(c.flag, c.value); got != c.want {
			t.Errorf("unmatchedHint(%s %s) = %q, want %q", c.flag, c.value, got, c.want)
		}
	}
}

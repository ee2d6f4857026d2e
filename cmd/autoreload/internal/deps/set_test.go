package deps

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func tree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestParseNamesFilesDirsAndTrees: a file names itself, a directory the
// files directly in it, DIR/... the subtree; relative lines are from the
// directory given, blank lines add nothing.
func TestParseNamesFilesDirsAndTrees(t *testing.T) {
	dir := tree(t, "main.go", "pkg/a.go", "pkg/sub/b.go", "lib/x/y/z.c", "other.go")
	s, err := Parse(strings.NewReader("main.go\n\n  pkg  \r\n"+filepath.Join(dir, "lib")+"/...\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3", s.Len())
	}
	for path, want := range map[string]bool{
		"main.go": true, "pkg/a.go": true, "pkg/new.go": true, "pkg/sub/b.go": false,
		"lib/x/y/z.c": true, "lib/new": true, "other.go": false, "pkg": false,
	} {
		if got := s.Contains(filepath.Join(dir, path)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", path, got, want)
		}
	}
}

// TestParseRefusesNothingAndMissingPaths: an answer that names nothing, or
// a path that does not exist, is a failure, never "watch nothing".
func TestParseRefusesNothingAndMissingPaths(t *testing.T) {
	dir := tree(t, "a.go")
	if _, err := Parse(strings.NewReader("\n \n"), dir); !errors.Is(err, ErrNoPaths) {
		t.Errorf("blank answer: err = %v, want ErrNoPaths", err)
	}
	_, err := Parse(strings.NewReader("a.go\ngone.go\n"), dir)
	if err == nil || !strings.Contains(err.Error(), "gone.go: no such file or directory") {
		t.Errorf("missing path: err = %v, want it named", err)
	}
}

// TestDirWithExtensions: a Go package directory counts its build files,
// new ones included, and not the binary go build leaves beside them.
func TestDirWithExtensions(t *testing.T) {
	dir := tree(t, "main.go")
	var b Builder
	b.AddDir(dir, ".go", ".s")
	s := b.Set()
	for name, want := range map[string]bool{"main.go": true, "new.go": true, "asm.s": true, "a-bin": false, "README": false} {
		if got := s.Contains(filepath.Join(dir, name)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", name, got, want)
		}
	}
	u := Union(s, nil)
	if !u.Contains(filepath.Join(dir, "x.go")) || u.Contains(filepath.Join(dir, "a-bin")) {
		t.Error("the union lost the extensions")
	}
	b.AddDir(dir) // any file now
	if !b.Set().Contains(filepath.Join(dir, "a-bin")) {
		t.Error("adding the directory without extensions did not widen it")
	}
}

// TestContainsThroughSymlink: a change reported under a symlinked root is
// in a set that names the real path.
func TestContainsThroughSymlink(t *testing.T) {
	real := tree(t, "pkg/a.go")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	var b Builder
	b.AddDir(filepath.Join(real, "pkg"))
	if !b.Set().Contains(filepath.Join(link, "pkg", "a.go")) {
		t.Error("a path below the link is not in the set naming the real directory")
	}
	b = Builder{}
	b.AddFile(filepath.Join(link, "pkg", "a.go"))
	if !b.Set().Contains(filepath.Join(real, "pkg", "a.go")) {
		t.Error("the real path is not in the set naming it through the link")
	}
	b = Builder{}
	b.AddDir(link)
	b.AddTree(link)
	if s := b.Set(); !s.Contains(filepath.Join(real, "x.go")) || !s.Contains(filepath.Join(real, "pkg", "a.go")) {
		t.Error("the real paths are not in the set naming the link itself")
	}
}

// TestOutside: what lies in no watched path is to be watched, a file in a
// directory that is itself outside once.
func TestOutside(t *testing.T) {
	b := Builder{Dir: "/"}
	b.AddFile("/repo/main.go")
	b.AddDir("/repo/pkg")
	b.AddFile("/lib/lib.go")
	b.AddDir("/lib")
	b.AddFile("/lib/go.mod")
	b.AddTree("/other")
	b.AddFile("/single/file.go")
	got := b.Set().Outside([]string{"/repo"})
	want := []string{"/other", "/lib", "/single/file.go"}
	if !slices.Equal(got, want) {
		t.Errorf("Outside = %v, want %v", got, want)
	}
	if got := b.Set().Outside([]string{"/"}); len(got) != 0 {
		t.Errorf("Outside(/) = %v, want nothing", got)
	}
}

// TestAccessors: Files, Dirs and Trees report what was named, as named.
func TestAccessors(t *testing.T) {
	b := Builder{Dir: "/w"}
	b.AddFile("a.go")
	b.AddDir("pkg", ".go")
	b.AddTree("/t")
	s := b.Set()
	if !slices.Equal(s.Files(), []string{"/w/a.go"}) || !slices.Equal(s.Dirs(), []string{"/w/pkg"}) || !slices.Equal(s.Trees(), []string{"/t"}) {
		t.Errorf("Files %v Dirs %v Trees %v", s.Files(), s.Dirs(), s.Trees())
	}
}

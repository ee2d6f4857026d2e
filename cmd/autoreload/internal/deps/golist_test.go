package deps

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goModuleTree writes a module whose main package embeds files and whose
// tests alone import another package.
func goModuleTree(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	dir := tree(t, "static/a.txt", "tmpl/sub/x.html", "README.md", "a-bin")
	for name, data := range map[string]string{
		"go.mod":        "module example.com/e\n\ngo 1.22\n",
		"main.go":       "package main\n\nimport (\n\t\"embed\"\n\t\"fmt\"\n)\n\n//go:embed static/*.txt tmpl\nvar files embed.FS\n\nfunc main() { fmt.Println(files) }\n",
		"main_test.go":  "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/e/testonly\"\n)\n\nfunc TestX(t *testing.T) { testonly.F() }\n",
		"testonly/t.go": "package testonly\n\nfunc F() {}\n",
		"unused/u.go":   "package unused\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func goTestEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off")
}

// TestGoLoad: the set is the package's build files (new ones included),
// what it embeds or may embed, go.mod; not the standard library, not the
// other files beside main.go; the tests' imports only for go test.
func TestGoLoad(t *testing.T) {
	dir := goModuleTree(t)
	in := func(s *Set, rel string) bool { return s.Contains(filepath.Join(dir, rel)) }
	g, err := NewGo([]string{"go", "run", "."}, dir, goTestEnv())
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]bool{
		"main.go": true, "new.go": true, "asm_amd64.s": true, "go.mod": true,
		"static/a.txt": true, "static/new.txt": true, "tmpl/sub/x.html": true,
		"a-bin": false, "README.md": false, "testonly/t.go": false, "unused/u.go": false,
	} {
		if got := in(s, rel); got != want {
			t.Errorf("go run: Contains(%s) = %v, want %v", rel, got, want)
		}
	}
	if s.Contains(filepath.Join(runtime.GOROOT(), "src", "fmt", "print.go")) {
		t.Error("the standard library is in the set")
	}

	g, _ = NewGo([]string{"go", "test", "."}, dir, goTestEnv())
	if s, err = g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !in(s, "testonly/t.go") || !in(s, "main_test.go") {
		t.Error("go test: the tests' imports are not in the set")
	}
}

// TestGoLoadFailure: a package that does not build is a RunError naming
// go list, its exit and its last stderr line.
func TestGoLoadFailure(t *testing.T) {
	dir := goModuleTree(t)
	g, _ := NewGo([]string{"go", "build", "./missing"}, dir, goTestEnv())
	_, err := g.Load(context.Background())
	var re *RunError
	if !errors.As(err, &re) || re.Exit != "exit 1" || !strings.HasPrefix(re.Command, "go list") || re.Stderr == "" {
		t.Fatalf("err = %#v, want a RunError of go list with exit 1 and its stderr", err)
	}
}

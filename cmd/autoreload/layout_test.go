package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/autoreload/autoreload"

// TestImportsGoOneWay holds the layout drawn in the README's "How it
// works": the supervisor imports only its siblings the guard, the gate and
// the process tree (which import down that line only), the spec imports
// neither backend, the poller only the spec and its kernel helpers, the
// client only the spec, its BSER codec and sockfile (helpers that import
// nothing of ours), and the Watchman protocol library is the
// client's alone. Test files are free; the test-support packages
// (watchman/testkit, cmd/autoreload/internal/jobshell) are for them only.
func TestImportsGoOneWay(t *testing.T) {
	imports := projectImports(t, "../..")
	isProject := func(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }
	under := func(p, dir string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	rules := []struct {
		pkg    string
		allow  func(string) bool
		reason string
	}{
		{"cmd/autoreload/internal/supervisor", func(p string) bool {
			return !isProject(p) || under(p, "cmd/autoreload/internal/guard") || under(p, "cmd/autoreload/internal/gate") ||
				under(p, "cmd/autoreload/internal/proctree") || under(p, "cmd/autoreload/internal/writers")
		}, "imports only the guard, the gate, the process tree and the writers"},
		{"cmd/autoreload/internal/gate", func(p string) bool {
			return !isProject(p) || under(p, "cmd/autoreload/internal/guard") || under(p, "cmd/autoreload/internal/proctree")
		}, "imports only the guard and the process tree"},
		{"cmd/autoreload/internal/guard", func(p string) bool { return !isProject(p) || under(p, "cmd/autoreload/internal/proctree") },
			"imports only the process tree"},
		{"cmd/autoreload/internal/proctree", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"cmd/autoreload/internal/socket", func(p string) bool { return !isProject(p) || under(p, "watchman/sockfile") }, "imports only sockfile"},
		{"cmd/autoreload/internal/writers", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"watchman/spec", func(p string) bool { return !isProject(p) || under(p, "watchman/spec") }, "imports neither backend"},
		{"fallback/poller", func(p string) bool {
			return !isProject(p) || under(p, "watchman/spec") || under(p, "fallback/inotify") || under(p, "fallback/mounts")
		}, "imports only the spec and its kernel helpers"},
		{"cmd/autoreload/internal/tty", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"cmd/autoreload/internal/keys", func(p string) bool { return !isProject(p) || under(p, "cmd/autoreload/internal/tty") }, "imports only tty"},
		{"cmd/autoreload/internal/notify", func(p string) bool { return !isProject(p) || under(p, "cmd/autoreload/internal/tty") }, "imports only tty"},
		{"fallback/inotify", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"cmd/autoreload/internal/projectfile", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"cmd/autoreload/internal/deps", func(p string) bool {
			return !isProject(p) || under(p, "cmd/autoreload/internal/proctree") || under(p, "watchman/sockfile")
		}, "imports only the process tree and sockfile"},
		{"watchman/testkit", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"cmd/autoreload/internal/jobshell", func(p string) bool {
			return !isProject(p) || under(p, "cmd/autoreload/internal/guard") || under(p, "cmd/autoreload/internal/proctree") ||
				under(p, "watchman/testkit")
		}, "imports only the guard, the process tree and testkit"},
		{"fallback/mounts", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"watchman/bser", func(p string) bool { return !isProject(p) }, "imports no project package"},
		{"watchman", func(p string) bool {
			return !isProject(p) || under(p, "watchman/spec") || under(p, "watchman/bser") || under(p, "watchman/sockfile")
		}, "imports only the spec, its codec and sockfile"},
		{"watchman/sockfile", func(p string) bool { return !isProject(p) }, "imports no project package"},
	}
	// Test support: packages for tests only.
	testSupport := map[string]bool{"watchman/testkit": true, "cmd/autoreload/internal/jobshell": true}
	checked := 0
	for pkg, deps := range imports {
		for _, r := range rules {
			if pkg != r.pkg && !strings.HasPrefix(pkg, r.pkg+"/") || pkg == "watchman/watchmantest" {
				continue
			}
			if r.pkg == "watchman" && strings.HasPrefix(pkg, "watchman/") {
				continue // its own rules, or test support
			}
			checked++
			for _, d := range deps {
				if !r.allow(d) {
					t.Errorf("%s imports %s; %s %s", pkg, d, r.pkg, r.reason)
				}
			}
		}
		for _, d := range deps {
			if isProtocolLibrary(d) && pkg != "watchman" {
				t.Errorf("%s imports %s: only the Watchman client may", pkg, d)
			}
			if testSupport[strings.TrimPrefix(d, module+"/")] && !testSupport[pkg] {
				t.Errorf("%s imports %s: only tests may", pkg, d)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("checked %d packages, want the supervisor and its siblings, the spec, the poller and the client at least", checked)
	}
}

// TestOneStatReader: exactly one Go file outside scripts/, tests included,
// reads /proc/PID/stat (proctree's); the rest call it, and packages that
// cannot import it look elsewhere (/proc/PID/status, kill(pid, 0)). A
// reader is a file with a string literal ending in "/stat".
func TestOneStatReader(t *testing.T) {
	statPath := regexp.MustCompile(`/stat$`)
	var readers []string
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "testdata" || path == filepath.Join("../..", "scripts")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && statPath.MatchString(v) {
					readers = append(readers, filepath.ToSlash(strings.TrimPrefix(path, "../../")))
					return false
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	readers = slices.Compact(readers)
	if want := []string{"cmd/autoreload/internal/proctree/stat_linux.go"}; !slices.Equal(readers, want) {
		t.Errorf("files reading /proc/PID/stat: %q, want only %q (call proctree.ReadStat)", readers, want)
	}
}

// projectImports returns, for each package directory below root (relative,
// slash-separated), what its non-test files import.
func projectImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for file, imports := range fileImports(t, root) {
		pkg := path.Dir(file)
		out[pkg] = append(out[pkg], imports...)
	}
	return out
}

// fileImports returns, for each non-test Go file below root (relative,
// slash-separated), what it imports.
func fileImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		file := filepath.ToSlash(rel)
		out[file] = []string{}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[file] = append(out[file], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBinaryImportsNoNet: of the packages linked into autoreload, only two
// libraries import Go's net (pflag for its IP flag types, sjansen/watchman's
// protocol for its dialer), neither of which we call into net through. Our
// sockets go through watchman/sockfile: net's dialer, listener and
// resolver would add half a megabyte to every process running the binary.
func TestBinaryImportsNoNet(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	allowed := map[string]bool{"github.com/spf13/pflag": true, "github.com/sjansen/watchman/protocol": true}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 1 && slices.Contains(f[1:], "net") && !allowed[f[0]] {
			t.Errorf("%s imports net; use watchman/sockfile", f[0])
		}
	}
}

// TestProtocolLibraryInOneFile: the Watchman protocol library, the
// design's dependency, is imported by one file of the client,
// watchman/protocol.go; the rest of the client speaks that file's types,
// so the library can be replaced there alone. Test files are free.
func TestProtocolLibraryInOneFile(t *testing.T) {
	var importers []string
	for file, imports := range fileImports(t, "../..") {
		if slices.ContainsFunc(imports, isProtocolLibrary) {
			importers = append(importers, file)
		}
	}
	slices.Sort(importers)
	if want := []string{"watchman/protocol.go"}; !slices.Equal(importers, want) {
		t.Errorf("non-test files importing github.com/sjansen/watchman: %q; want %q alone", importers, want)
	}
}

func isProtocolLibrary(p string) bool {
	return p == "github.com/sjansen/watchman" || strings.HasPrefix(p, "github.com/sjansen/watchman/")
}

package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// GoPreset is the --deps-from value that asks the go command.
const GoPreset = "go"

// buildExts are the kinds of file the go command reads from a package
// directory. The directory is named with them, not file by file, so a new
// file of the package counts, and the binary `go build` leaves beside
// main.go does not.
var buildExts = []string{
	".go", ".s", ".S", ".sx", ".c", ".h", ".hh", ".hpp", ".hxx", ".cc", ".cpp", ".cxx",
	".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx",
}

// Go is the preset for COMMAND go run/test/build: what `go list -deps`
// says the packages are built from, outside the standard library and the
// module cache.
type Go struct {
	Dir string   // the working directory
	Env []string // COMMAND's environment
	// gocmd is COMMAND's go: the same toolchain answers.
	gocmd string
	// test is set for go test: the tests' imports count too.
	test bool
	// flags are those of COMMAND that change what go list answers.
	flags []string
	// pkgs are the packages, or the .go files of go run.
	pkgs []string
}

// GoCommandError is a COMMAND the Go preset cannot read.
type GoCommandError struct{ Command []string }

func (e *GoCommandError) Error() string {
	return fmt.Sprintf("--deps-from go: want COMMAND go run PKG [ARG...], go test [PKG...] or go build [PKG...] (or a --build go build ...), got %q",
		strings.Join(e.Command, " "))
}

// goValueFlags are the go build and go test flags that take a value as the
// next argument; any other flag is taken for a boolean.
var goValueFlags = map[string]bool{
	"C": true, "o": true, "p": true, "asmflags": true, "buildmode": true, "compiler": true,
	"gccgoflags": true, "gcflags": true, "installsuffix": true, "ldflags": true, "mod": true,
	"modfile": true, "overlay": true, "pgo": true, "pkgdir": true, "tags": true, "toolexec": true,
	"coverpkg": true, "covermode": true, "exec": true, "reldir": true,
	// go test's own
	"bench": true, "benchtime": true, "blockprofile": true, "blockprofilerate": true, "count": true,
	"coverprofile": true, "cpu": true, "cpuprofile": true, "fuzz": true, "fuzzminimizetime": true,
	"fuzztime": true, "list": true, "memprofile": true, "memprofilerate": true, "mutexprofile": true,
	"mutexprofilefraction": true, "outputdir": true, "parallel": true, "run": true, "skip": true,
	"shuffle": true, "timeout": true, "trace": true, "vet": true,
}

// goListFlags are the flags go list must see too: they change which
// files and modules make the packages.
var goListFlags = map[string]bool{"C": true, "tags": true, "mod": true, "modfile": true, "overlay": true}

// NewGo reads COMMAND for the Go preset: go run PKG (or .go files) and the
// program's arguments, go test PKG..., go build PKG....
func NewGo(command []string, dir string, env []string) (*Go, error) {
	bad := &GoCommandError{Command: command}
	if len(command) < 2 || filepath.Base(command[0]) != "go" {
		return nil, bad
	}
	verb := command[1]
	if verb != "run" && verb != "test" && verb != "build" {
		return nil, bad
	}
	g := &Go{Dir: dir, Env: env, gocmd: command[0], test: verb == "test"}
	args := command[2:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if verb == "run" && len(g.pkgs) == 0 && i+1 < len(args) {
				g.pkgs = runPackage(args[i+1:])
			}
			break
		}
		if a == "-args" && verb == "test" {
			break // the rest is the test binary's
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			takes := goValueFlags[name] && !hasValue
			if takes {
				if i+1 >= len(args) {
					return nil, bad
				}
				i++
				value, hasValue = args[i], true
			}
			if goListFlags[name] {
				f := "-" + name + "=" + value
				if name == "C" {
					g.flags = append([]string{"-C", value}, g.flags...)
				} else {
					g.flags = append(g.flags, f)
				}
			}
			continue
		}
		if verb == "run" {
			g.pkgs = runPackage(args[i:])
			break // what follows is the program's
		}
		g.pkgs = append(g.pkgs, a)
	}
	if len(g.pkgs) == 0 {
		if verb == "run" {
			return nil, bad
		}
		g.pkgs = []string{"."}
	}
	return g, nil
}

// runPackage is what go run builds from args: the run of .go files at
// their start, else the first argument.
func runPackage(args []string) []string {
	n := 0
	for n < len(args) && strings.HasSuffix(args[n], ".go") {
		n++
	}
	if n == 0 {
		return args[:1]
	}
	return slices.Clone(args[:n])
}

func (g *Go) Name() string { return GoPreset }

// goPackage is what Load reads of go list -json.
type goPackage struct {
	Dir, ImportPath                           string
	Standard                                  bool
	Module                                    *goModule
	GoFiles, CgoFiles, CFiles, CXXFiles       []string
	HFiles, SFiles, SysoFiles, MFiles, FFiles []string
	SwigFiles, SwigCXXFiles                   []string
	TestGoFiles, XTestGoFiles                 []string
	EmbedFiles, TestEmbedFiles                []string
	XTestEmbedFiles                           []string
	EmbedPatterns, TestEmbedPatterns          []string
	XTestEmbedPatterns                        []string
}

type goModule struct {
	Path, Dir, GoMod string
	Replace          *goModule
}

const goListFields = "Dir,ImportPath,Standard,Module,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,MFiles,FFiles," +
	"SwigFiles,SwigCXXFiles,TestGoFiles,XTestGoFiles,EmbedFiles,TestEmbedFiles,XTestEmbedFiles," +
	"EmbedPatterns,TestEmbedPatterns,XTestEmbedPatterns"

func (g *Go) goEnv(ctx context.Context) (goroot, modcache, gowork string, err error) {
	argv := append([]string{g.gocmd, "env"}, g.cFlag()...)
	argv = append(argv, "GOROOT", "GOMODCACHE", "GOWORK")
	out, err := run(ctx, "go env", argv, g.Dir, g.Env)
	if err != nil {
		return "", "", "", err
	}
	lines := strings.Split(string(out), "\n") // GOWORK may be blank
	if len(lines) < 3 {
		return "", "", "", &RunError{Command: "go env", Err: fmt.Errorf("unexpected answer %q", out)}
	}
	return lines[0], lines[1], lines[2], nil
}

func (g *Go) cFlag() []string {
	if len(g.flags) >= 2 && g.flags[0] == "-C" {
		return g.flags[:2]
	}
	return nil
}

// Load runs go list -deps.
func (g *Go) Load(ctx context.Context) (*Set, error) {
	goroot, modcache, gowork, err := g.goEnv(ctx)
	if err != nil {
		return nil, err
	}
	argv := append([]string{g.gocmd, "list"}, g.flags...)
	argv = append(argv, "-deps", "-json="+goListFields)
	if g.test {
		argv = append(argv, "-test")
	}
	argv = append(argv, g.pkgs...)
	display := strings.Join(argv, " ")
	out, err := run(ctx, display, argv, g.Dir, g.Env)
	if err != nil {
		return nil, err
	}
	b := &Builder{Dir: g.Dir}
	excluded := func(dir string) bool {
		for _, root := range []string{goroot, modcache} {
			if root != "" && (dir == root || Within(filepath.Clean(root), dir)) {
				return true
			}
		}
		return false
	}
	modules := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, &RunError{Command: display, Err: fmt.Errorf("reading its output: %w", err)}
		}
		if p.Standard || p.Dir == "" || excluded(p.Dir) {
			continue
		}
		addPackage(b, &p)
		if m := p.Module; m != nil {
			if m.Replace != nil {
				m = m.Replace
			}
			if m.GoMod != "" && !excluded(m.GoMod) {
				modules[filepath.Dir(m.GoMod)] = true
			}
		}
	}
	for dir := range modules {
		addIfExists(b, filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum"))
	}
	if gowork != "" && gowork != "off" {
		addIfExists(b, gowork, gowork+".sum")
	}
	s := b.Set()
	if s.Len() == 0 {
		return nil, &RunError{Command: display, Err: ErrNoPaths}
	}
	return s, nil
}

// addPackage adds a package's directory (the files of the kinds the build
// reads, new ones included), its files by name (what Files reports) and
// the files it embeds, which may lie below it.
func addPackage(b *Builder, p *goPackage) {
	if p.ImportPath != "command-line-arguments" {
		// go run main.go: the named files alone are the package.
		b.AddDir(p.Dir, buildExts...)
	}
	for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.HFiles, p.SFiles,
		p.SysoFiles, p.MFiles, p.FFiles, p.SwigFiles, p.SwigCXXFiles, p.TestGoFiles, p.XTestGoFiles,
		p.EmbedFiles, p.TestEmbedFiles, p.XTestEmbedFiles} {
		for _, f := range list {
			b.AddFile(filepath.Join(p.Dir, f))
		}
	}
	for _, list := range [][]string{p.EmbedPatterns, p.TestEmbedPatterns, p.XTestEmbedPatterns} {
		for _, pat := range list {
			addEmbedPattern(b, p.Dir, pat)
		}
	}
}

// addEmbedPattern adds what a //go:embed pattern may match, so that a new
// file it would embed counts too: a directory named is a subtree, a glob
// the files of its directory.
func addEmbedPattern(b *Builder, dir, pattern string) {
	p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(pattern, "all:")))
	if strings.ContainsAny(pattern, "*?[\\") {
		if d := filepath.Dir(p); !strings.ContainsAny(d, "*?[\\") {
			b.AddDir(d)
		}
		return
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		b.AddTree(p)
	}
}

func addIfExists(b *Builder, paths ...string) {
	for _, p := range paths {
		if fileExists(p) {
			b.AddFile(p)
		}
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// projectDir makes a repository holding a project file with content, and
// the directories src, lib and sub; it returns the repository's path.
func projectDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{".git", "src", "lib", "sub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Write(t, filepath.Join(dir, ".autoreload.toml"), content)
	return dir
}

func TestProjectFileFillsWhatFlagsAndVariablesLeave(t *testing.T) {
	dir := projectDir(t, `
command = ["bin/server", "--port", "8080"]
watch = ["src", "lib"]
ignore = ["*.log", "src/gen/**", "tmp/"]
grace = "2s"
debounce = "100ms"
verbose = true
ext = "go,tmpl"
build = "go build -o bin/server ."
socket = ["api=unix:run/api.sock", "127.0.0.1:0"]
`)
	file := filepath.Join(dir, ".autoreload.toml")
	cfg, err := parseConfig([]string{"--config", file}, env())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "bin/server"), "--port", "8080"}; !slices.Equal(cfg.command, want) {
		t.Errorf("command = %q, want %q (the program relative to the file)", cfg.command, want)
	}
	if want := []string{filepath.Join(dir, "src"), filepath.Join(dir, "lib")}; !slices.Equal(cfg.watch, want) {
		t.Errorf("watch = %q, want %q", cfg.watch, want)
	}
	// src/gen/** is the file's: for the root src it is /gen/**.
	if want := []string{"*.log", "tmp/", "/gen/**"}; !slices.Equal(cfg.ignores, want) {
		t.Errorf("ignores = %q, want %q", cfg.ignores, want)
	}
	if got := (*socketsValue)(&cfg.sockets).String(); got != "api=unix:"+filepath.Join(dir, "run/api.sock")+" 127.0.0.1:0" {
		t.Errorf("sockets %s, want the unix socket's path relative to the file", got)
	}
	if cfg.grace != 2*time.Second || cfg.debounce != 100*time.Millisecond || !cfg.verbose ||
		!slices.Equal(cfg.exts, []string{"go", "tmpl"}) || cfg.buildDir != dir {
		t.Errorf("grace %v debounce %v verbose %v exts %q buildDir %q", cfg.grace, cfg.debounce, cfg.verbose, cfg.exts, cfg.buildDir)
	}

	// The command line, then the environment, then the file.
	cfg, err = parseConfig([]string{"--config", file, "--grace", "3s", "-w", "sub", "--", "true"},
		env("AUTORELOAD_GRACE", "9s", "AUTORELOAD_DEBOUNCE", "1s", "AUTORELOAD_IGNORE", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.grace != 3*time.Second || cfg.debounce != time.Second || !slices.Equal(cfg.command, []string{"true"}) ||
		!slices.Equal(cfg.watch, []string{"sub"}) || !slices.Equal(cfg.ignores, []string{"x"}) || !cfg.verbose {
		t.Errorf("overridden: grace %v debounce %v command %q watch %q ignores %q verbose %v",
			cfg.grace, cfg.debounce, cfg.command, cfg.watch, cfg.ignores, cfg.verbose)
	}

	cfg, err = parseConfig([]string{"--config", file, "--no-config", "true"}, env())
	if err != nil || cfg.grace != defaultGrace || cfg.projectFile != nil {
		t.Errorf("--no-config: %v, grace %v", err, cfg.grace)
	}
	cfg, err = parseConfig([]string{"true"}, env("AUTORELOAD_CONFIG", file))
	if err != nil || cfg.grace != 2*time.Second {
		t.Errorf("AUTORELOAD_CONFIG: %v", err)
	}
}

func TestProjectFileWithoutWatchWatchesItsDirectory(t *testing.T) {
	dir := projectDir(t, `command = ["true"]`)
	cfg, err := parseConfig([]string{"--config", filepath.Join(dir, ".autoreload.toml")}, env())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.watch, []string{dir}) {
		t.Errorf("watch = %q, want the project's directory", cfg.watch)
	}
}

func TestBadProjectFiles(t *testing.T) {
	cases := []struct{ content, want string }{
		{"command = [\"true\"]\nwach = [\"src\"]\n", `:2: unknown key "wach"; did you mean "watch"?`},
		{"\n\nignore = 3\n", ":3: ignore: want a list of strings, not a number"},
		{"ignore = [\"a\", 3]\n", ":1: ignore: want a list of strings, not a list holding a number"},
		{"grace = \"5\"\n", `:1: grace = "5": must be a duration like "30s"`},
		{"grace = 5\n", `:1: grace: must be a duration like "30s" or "500ms" (a string), not a number`},
		{"verbose = \"yes\"\n", ":1: verbose: want true or false, not a string"},
		{"command = \"go run .\"\n", `:1: command: want a list of words, as command = ["go", "run", "."]`},
		{"command = []\n", `:1: command: want a list of words`},
		{"reloader = \"inotify\"\n", `:1: reloader = "inotify": want auto, watchman or stat`},
		{"config = \"other.toml\"\n", `:1: unknown key "config"`},
		{"[server]\nport = 1\n", ":1: unknown table [server]"},
		{"grace = \"1s\"\ngrace = \"2s\"\n", ":2: "},
		{"watch = [\n", ".autoreload.toml"},
		{"[[on]]\npattern = \"*.templ\"\n", ":1: [[on]] needs pattern and run"},
		{"[[on]]\npatern = \"*.templ\"\nrun = \"x\"\n", `:2: unknown key "patern" in [[on]]; did you mean "pattern"?`},
		{"[[on]]\npattern = \"[\"\nrun = \"x\"\n", ":1: [[on]] pattern: "},
		{"[[on]]\npattern = \"*.x\"\nrun = [\"x\"]\n", ":3: run: want a string that is not blank"},
	}
	for _, c := range cases {
		dir := projectDir(t, c.content)
		_, err := parseConfig([]string{"--config", filepath.Join(dir, ".autoreload.toml"), "true"}, env())
		var usage *usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v; want a usage error containing %q on one line", c.content, err, c.want)
		}
	}
	_, err := parseConfig([]string{"--config", "no/such.toml", "true"}, env())
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--config no/such.toml: no such file") {
		t.Errorf("missing --config file: %v", err)
	}
}

func TestRebasePattern(t *testing.T) {
	base := "/p"
	cases := []struct {
		pattern string
		roots   []string
		want    []string
	}{
		{"src/gen/**", []string{"/p"}, []string{"/src/gen/**"}},
		{"/src/gen/**", []string{"/p/src"}, []string{"/gen/**"}},
		{"src/gen/**", []string{"/p/src", "/p/lib"}, []string{"/gen/**"}},
		{"lib/x", []string{"/p/src"}, nil},
		{"**/gen/*.go", []string{"/p/src"}, []string{"/**/gen/*.go"}},
		{"gen/*.go", []string{"/"}, []string{"/p/gen/*.go"}},
		{"gen/*.go", []string{"/q"}, nil},
	}
	for _, c := range cases {
		if got := rebasePattern(c.pattern, base, c.roots); !slices.Equal(got, c.want) {
			t.Errorf("rebasePattern(%q, %q, %q) = %q, want %q", c.pattern, base, c.roots, got, c.want)
		}
	}
}

// TestPlainAutoreloadRunsTheProject: from a subdirectory of the project,
// autoreload with no COMMAND runs the project file's, with its watch,
// ignore and socket; COMMAND runs in the subdirectory.
func TestPlainAutoreloadRunsTheProject(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	dir := projectDir(t, `
command = ["bin/helper", "cwd", "`+out+`"]
watch = ["src", "lib"]
ignore = ["src/gen/**"]
socket = ["127.0.0.1:0"]
`)
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "src", "gen"), 0o755)
	if err := os.Symlink(helper, filepath.Join(dir, "bin", "helper")); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	s := startAutoreload(t, sub)
	s.await("listening", nil)
	watching, _ := s.readyEvents()
	if got := testkit.WaitLines(t, out, 1); got[0] != sub {
		t.Errorf("COMMAND ran in %q, want %q, where autoreload started", got[0], sub)
	}
	roots, _ := watching["roots"].([]any)
	if len(roots) != 2 || roots[0] != filepath.Join(dir, "src") || roots[1] != filepath.Join(dir, "lib") {
		t.Errorf("watching %v, want the file's src and lib", roots)
	}
	if watching["config"] != filepath.Join(dir, ".autoreload.toml") {
		t.Errorf("watching line names the project file %v, want %s", watching["config"], filepath.Join(dir, ".autoreload.toml"))
	}
	// An ignored file, then a watched one: only the watched one restarts.
	testkit.Write(t, filepath.Join(dir, "src", "gen", "x.go"), "package gen")
	testkit.Write(t, filepath.Join(dir, "sub", "y.go"), "package sub") // not watched: outside src and lib
	testkit.Write(t, filepath.Join(dir, "lib", "a.go"), "package lib")
	changed := s.await("changed", nil)
	if got := changed.paths(); !slices.Equal(got, []string{filepath.Join(dir, "lib", "a.go")}) {
		t.Errorf("changed %q, want only lib/a.go", got)
	}
	testkit.WaitLines(t, out, 2)
	s.stop()
}

// TestSideCommandRunsWithoutRestart: a change to a file an [[on]] pattern
// selects runs its command and restarts nothing; what the command writes
// restarts COMMAND as any change; a failing one is logged and nothing
// else happens.
func TestSideCommandRunsWithoutRestart(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	dir := projectDir(t, `
command = ["`+helper+`", "env", "`+out+`"]
ext = ["go"]

[[on]]
pattern = "*.templ"
run = "echo ran >> ../ran; cp src/page.templ src/page_templ.go"

[[on]]
pattern = "*.bad"
run = "exit 7"
`)
	s := startAutoreload(t, dir)
	s.ready()
	testkit.WaitLines(t, out, 1)

	testkit.Write(t, filepath.Join(dir, "src", "page.templ"), "package src")
	running := s.await("running", nil, "changed")
	if got := running.paths(); !slices.Equal(got, []string{filepath.Join(dir, "src", "page.templ")}) {
		t.Errorf("running for %q, want src/page.templ", got)
	}
	changed := s.await("changed", nil, "running")
	if got := changed.paths(); !slices.Equal(got, []string{filepath.Join(dir, "src", "page_templ.go")}) {
		t.Errorf("changed %q, want only what the side command wrote", got)
	}
	s.await("started", nil)
	lines := testkit.WaitLines(t, out, 2)
	if !strings.Contains(lines[1], "page_templ.go") || strings.Contains(lines[1], "page.templ\"") {
		t.Errorf("COMMAND restarted with %s, want AUTORELOAD_CHANGED naming only page_templ.go", lines[1])
	}
	if ran, _ := os.ReadFile(filepath.Join(filepath.Dir(dir), "ran")); string(ran) != "ran\n" {
		t.Errorf("the side command ran %q times, want once (in the project's directory)", ran)
	}

	testkit.Write(t, filepath.Join(dir, "x.bad"), "")
	failed := s.await("side command failed", nil, "changed", "started")
	if failed["code"] != 7.0 {
		t.Errorf("side command failed %v, want code 7", failed)
	}
	// Nothing restarted: the next start is the next change's.
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main")
	s.await("changed", nil, "started")
	s.await("started", nil)
	if lines := testkit.WaitLines(t, out, 3); !strings.Contains(lines[2], "main.go") || strings.Contains(lines[2], "x.bad") {
		t.Errorf("third start %s, want one for main.go alone", lines[2])
	}
	s.stop()
}

// TestBadProjectFileExits2: the binary, run in a subdirectory of a project
// whose file is bad, exits 2 with one line naming the file and the line.
func TestBadProjectFileExits2(t *testing.T) {
	t.Parallel()
	dir := projectDir(t, "command = [\"true\"]\n\ndebounce = \"soon\"\n")
	cmd := exec.Command(binary)
	cmd.Dir = filepath.Join(dir, "sub")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	want := "autoreload: ../.autoreload.toml:3: debounce = \"soon\": must be a duration like \"30s\" or \"500ms\"\n"
	if exitCode := cmd.ProcessState.ExitCode(); exitCode != 2 || stderr.String() != want {
		t.Errorf("exit %d (%v), stderr %q; want exit 2 and %q", exitCode, err, stderr.String(), want)
	}
}

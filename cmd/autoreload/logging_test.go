package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// TestTextLines: the text format says in words what the JSON log says in
// attributes; README.md quotes these lines.
func TestTextLines(t *testing.T) {
	many := make([]string, 0, 100)
	for range 100 {
		many = append(many, "/src/f.go")
	}
	for _, c := range []struct {
		msg   string
		attrs []any
		want  string
	}{
		{"watching", []any{"reloader", "watchman", "roots", []string{"/src/app"}}, "watching /src/app with watchman"},
		{"watching", []any{"reloader", "watchman", "roots", []string{"/src/app"}, "files", 1, "dirs", 1, "patterns", []string{"*.go", "*.tmpl"},
			"ignores", []string{"*.log"}, "config", "/src/app/.autoreload.toml"},
			"watching /src/app with watchman: 1 file in 1 directory; only *.go, *.tmpl; ignoring *.log; project file /src/app/.autoreload.toml"},
		{"watching", []any{"reloader", "stat", "roots", []string{"/a", "/b"}, "events", true, "watched_dirs", 14, "poll_only", []string{},
			"files", 120, "dirs", 14, "poll_interval", "1s", "reason", "watchman unavailable (binary missing): watchman not found in PATH"},
			"watching /a, /b with the stat poller (kernel events): 120 files in 14 directories; Watchman not used: watchman unavailable (binary missing): watchman not found in PATH"},
		{"watching", []any{"reloader", "stat", "roots", []string{"/a"}, "events", true, "watched_dirs", 14, "poll_only", []string{"/a/nfs"},
			"files", 10000, "more_files", true, "dirs", 800, "poll_interval", "1s", "reason", "watchman unavailable (binary missing): watchman not found in PATH"},
			"watching /a with the stat poller (kernel events; polling every 1s in /a/nfs): over 10000 files in 800 directories; " +
				"Watchman not used: watchman unavailable (binary missing): watchman not found in PATH; " +
				"for a tree this big, install Watchman (https://facebook.github.io/watchman/): it watches at no cost while idle"},
		{"watching", []any{"reloader", "stat", "roots", []string{"/a"}, "events", false, "watched_dirs", 0, "poll_only", []string{},
			"files", 3, "dirs", 2, "poll_interval", "500ms"},
			"watching /a with the stat poller (polling every 500ms): 3 files in 2 directories"},
		{"changed", []any{"paths", []string{"/src/a.go", "/src/b.go"}, "count", 2}, "changed /src/a.go, /src/b.go"},
		{"changed", []any{"paths", many, "count", 250}, "changed " + strings.Join(many[:5], ", ") + " and 245 more"},
		{"changed", []any{"paths", many[:6], "count", 6}, "changed " + strings.Join(many[:5], ", ") + " and 1 more"},
		{"changed", []any{"paths", []string{"/src"}, "count", 1, "unknown", true}, "changed (unknown changes, restarting) /src"},
		{"started", []any{"pid", 4242}, "started pid 4242"},
		{"exited", []any{"pid", 4242, "signal", "SIGTERM", "stopped", true}, "stopped pid 4242 by SIGTERM"},
		{"exited", []any{"pid", 4242, "code", 0, "stopped", true}, "stopped pid 4242 with code 0"},
		{"exited", []any{"pid", 4242, "code", 1}, "exited pid 4242 with code 1"},
		{"exited", []any{"pid", 4242, "code", 1, "then", "wait"}, "exited pid 4242 with code 1; waiting for changes"},
		{"exited", []any{"pid", 4242, "signal", "SIGSEGV", "then", "wait"}, "exited pid 4242 by SIGSEGV; waiting for changes"},
		{"exited", []any{"pid", 4242, "code", 3, "then", "restart"}, "exited pid 4242 with code 3; restarting"},
		{"exited", []any{"pid", 4242, "code", 1, "then", "restart", "delay", "400ms"}, "exited pid 4242 with code 1; restarting in 400ms"},
		{"fallback", []any{"error", "watchman unavailable (disconnected): subscription /s/sock: EOF", "reloader", "stat"},
			"fallback to stat: watchman unavailable (disconnected): subscription /s/sock: EOF"},
		{"root deleted", []any{"roots", []string{"/src/app"}, "reloader", "stat"}, "root deleted /src/app (stat until it is back)"},
		{"eden checkout", []any{"roots", []string{"/src/app"}, "polled", 0, "hint", "Watchman is required; start it with watchman watch-project /src/app or run eden doctor"},
			"Eden checkout: Watchman is required; start it with watchman watch-project /src/app or run eden doctor; nothing there is watched meanwhile"},
		{"eden checkout", []any{"roots", []string{"/src/app"}, "polled", 12, "hint", "Watchman is required"},
			"Eden checkout: Watchman is required; polling the 12 files of the --deps-from set meanwhile"},
		{"failed", []any{"error", "cannot start ./run.sh: permission denied"}, "cannot start ./run.sh: permission denied"},
		{"restart loop", []any{"paths", []string{"/src/server.log"}, "count", 3, "hint", "exclude them with --ignore"},
			"restart loop: /src/server.log: exclude them with --ignore"},
		{"stopping", []any{"signal", "SIGINT"}, "stopping signal=SIGINT"},
		{"built", []any{"duration", 719323938 * time.Nanosecond}, "built in 719ms"},
		{"built", []any{"duration", 1234567890 * time.Nanosecond}, "built in 1.2s"},
		{"built", []any{"duration", 65432 * time.Millisecond}, "built in 1m5s"},
		{"exited", []any{"pid", 4242, "code", 1, "then", "restart", "delay", "1.6345s"}, "exited pid 4242 with code 1; restarting in 1.6s"},
		{"own reloader", []any{"hint", "uvicorn restarts itself with --reload: drop --reload"},
			"COMMAND runs its own reloader under autoreload's, which makes each restart slower: uvicorn restarts itself with --reload: drop --reload"},
		{"matches no file", []any{"flag", "-p", "value", ".txt", "hint", "did you mean '*.txt' or --ext txt?"},
			"-p '.txt' matches no file; did you mean '*.txt' or --ext txt?"},
	} {
		var buf bytes.Buffer
		logger := newLogger(&config{logFormat: "text"}, &buf, env())
		logger.Info(c.msg, c.attrs...)
		if got := buf.String(); got != "autoreload: "+c.want+"\n" {
			t.Errorf("%s %v:\n got %q\nwant %q", c.msg, c.attrs, got, "autoreload: "+c.want+"\n")
		}
	}
}

// TestTextPathsRelative: the text log names paths under the working
// directory relative to it, and a change of 300 files in a short line; the
// JSON log keeps absolute paths and the full count.
func TestTextPathsRelative(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range 300 {
		paths = append(paths, filepath.Join(wd, "pkg", fmt.Sprintf("file%03d.go", i)))
	}
	for _, c := range []struct {
		msg   string
		attrs []any
		want  string
	}{
		{"watching", []any{"reloader", "stat", "roots", []string{wd, filepath.Join(wd, "sub"), "/elsewhere"}}, "watching ., sub, /elsewhere with the stat poller (polling)"},
		{"changed", []any{"paths", []string{filepath.Join(wd, "main.go"), wd + "x/y.go"}, "count", 2}, "changed main.go, " + wd + "x/y.go"},
		{"changed", []any{"paths", paths[:maxLoggedPaths], "count", len(paths)},
			"changed pkg/file000.go, pkg/file001.go, pkg/file002.go, pkg/file003.go, pkg/file004.go and 295 more"},
	} {
		var buf bytes.Buffer
		newLogger(&config{logFormat: "text"}, &buf, env()).Info(c.msg, c.attrs...)
		if got := buf.String(); got != "autoreload: "+c.want+"\n" {
			t.Errorf("%s:\n got %q\nwant %q", c.msg, got, "autoreload: "+c.want+"\n")
		}
	}

	var js bytes.Buffer
	newLogger(&config{logFormat: "json"}, &js, env()).Info("changed", "paths", paths[:maxLoggedPaths], "count", len(paths))
	var e struct {
		Paths []string
		Count int
	}
	if err := json.Unmarshal(js.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Paths, paths[:maxLoggedPaths]) || e.Count != 300 {
		t.Errorf("JSON: %d paths, count %d; want the first %d absolute paths and count 300", len(e.Paths), e.Count, maxLoggedPaths)
	}
}

func TestLogLevels(t *testing.T) {
	for _, c := range []struct {
		cfg         config
		debug, info bool
	}{
		{config{}, false, true},
		{config{verbose: true}, true, true},
		{config{quiet: true}, false, false},
	} {
		for _, format := range []string{"text", "json"} {
			c.cfg.logFormat = format
			var buf bytes.Buffer
			logger := newLogger(&c.cfg, &buf, env())
			logger.Debug("d")
			logger.Info("i")
			logger.Warn("w")
			logged := func(msg string) bool {
				return strings.Contains(buf.String(), `"msg":"`+msg+`"`) || strings.Contains(buf.String(), "autoreload: "+msg+"\n")
			}
			if logged("d") != c.debug || logged("i") != c.info || !logged("w") {
				t.Errorf("%s %+v: debug, info, warn logged %v %v %v; want %v %v true",
					format, c.cfg, logged("d"), logged("i"), logged("w"), c.debug, c.info)
			}
		}
	}
}

// Paths are bytes; the logs show one that is not UTF-8, or holds a byte
// that does not print, quoted and escaped: the text log carries no raw
// bytes (no terminal escapes), the JSON log stays valid, and two names
// that differ only in such bytes stay apart.
func TestLogEscapesPaths(t *testing.T) {
	paths := []string{"/src/bad\xff.go", "/src/bad\xfe.go", "/src/esc\x1b[2J.go", "/src/ünï.go"}
	want := []string{`"/src/bad\xff.go"`, `"/src/bad\xfe.go"`, `"/src/esc\x1b[2J.go"`, "/src/ünï.go"}

	var text bytes.Buffer
	newLogger(&config{logFormat: "text"}, &text, env()).Info("changed", "paths", paths, "count", len(paths))
	if got, w := text.String(), "autoreload: changed "+strings.Join(want, ", ")+"\n"; got != w {
		t.Errorf("text:\n got %q\nwant %q", got, w)
	}

	var js bytes.Buffer
	newLogger(&config{logFormat: "json"}, &js, env()).Info("changed", "paths", paths, "count", len(paths),
		"error", errors.New("watch /src/bad\xff: gone"))
	if !utf8.Valid(js.Bytes()) || !json.Valid(js.Bytes()) {
		t.Fatalf("JSON log line is not valid UTF-8 JSON: %q", js.String())
	}
	var e struct {
		Paths []string
		Error string
	}
	if err := json.Unmarshal(js.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Paths, want) {
		t.Errorf("JSON paths %q, want %q", e.Paths, want)
	}
	if w := `"watch /src/bad\xff: gone"`; e.Error != w {
		t.Errorf("JSON error %q, want %q", e.Error, w)
	}
}

// TestMessagesInREADME: every log message is a constant beside its
// emitter (Msg… in the supervisor, the switch, the client and the deps
// channel; msg… in the command), and the README's messages table names
// each, so that scripts following the JSON log can rely on the table.
func TestMessagesInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	head := "| `msg` | Attributes | When |\n"
	_, table, ok := strings.Cut(string(readme), head)
	if !ok {
		t.Fatalf("README.md has no messages table (%q)", head)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	found := 0
	for _, dir := range []string{".", "internal/supervisor", "internal/deps", "../../fallback", "../../watchman"} {
		pkg := filepath.Base(dir)
		if dir == "." {
			pkg = "main"
		}
		for name, msg := range messageConstants(t, dir) {
			found++
			if !strings.Contains(table, "`"+msg+"`") {
				t.Errorf("%s.%s = %q: not in README.md's messages table", pkg, name, msg)
			}
		}
	}
	if found < 30 {
		t.Fatalf("found %d message constants, want every message of the log", found)
	}
}

// messageConstants returns the string constants named Msg… or msg… that
// the non-test files of the package in dir declare.
func messageConstants(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					lit, ok := valueAt(vs.Values, i).(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING || !isMessageName(n.Name) {
						continue
					}
					out[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	return out
}

func valueAt(values []ast.Expr, i int) ast.Expr {
	if i < len(values) {
		return values[i]
	}
	return nil
}

// isMessageName: Msg or msg and then a capital (not msgs, message).
func isMessageName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Msg")
	if !ok {
		rest, ok = strings.CutPrefix(name, "msg")
	}
	return ok && rest != "" && unicode.IsUpper(rune(rest[0]))
}

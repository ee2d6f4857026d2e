package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestUnknownVariables(t *testing.T) {
	environ := []string{
		"PATH=/bin", "AUTORELOAD_EXT=go", "AUTORELOAD_EXTS=go,tmpl", "AUTORELOAD_EXTS=again",
		"AUTORELOAD_ENV=true", "AUTORELOAD_CHANGED=/src/a.go", "AUTORELOAD_TEST_MARK=x",
		"AUTORELOAD_POLL=1s", "AUTORELOAD_IGNORE_FILES=0", "AUTORELOAD_ONEXIT=restart",
		"AUTORELOAD_FROBNICATE=1", "AUTORELOAD_HELP=1", "NOT_AUTORELOAD_X=1",
	}
	want := []unknownVariable{
		{"AUTORELOAD_EXTS", "AUTORELOAD_EXT"},
		{"AUTORELOAD_POLL", "AUTORELOAD_POLL_INTERVAL"},
		{"AUTORELOAD_IGNORE_FILES", "AUTORELOAD_NO_IGNORE_FILES"},
		{"AUTORELOAD_ONEXIT", "AUTORELOAD_ON_EXIT"},
		{"AUTORELOAD_FROBNICATE", ""},
		{"AUTORELOAD_HELP", ""}, // --help is read from the command line only
	}
	if got := unknownVariables(environ); !slices.Equal(got, want) {
		t.Errorf("unknownVariables:\n got %q\nwant %q", got, want)
	}
}

func TestUnknownVariableText(t *testing.T) {
	var buf bytes.Buffer
	logger := newLogger(&config{logFormat: "text", quiet: true}, &buf, env())
	warnUnknownVariables(logger, []string{"AUTORELOAD_EXTS=go", "AUTORELOAD_XYZZY=1"})
	want := "autoreload: unknown variable AUTORELOAD_EXTS ignored; did you mean AUTORELOAD_EXT?\n" +
		"autoreload: unknown variable AUTORELOAD_XYZZY ignored (autoreload --help lists the variables)\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestSourceVariablesAreKnown: every AUTORELOAD_* name the module's code
// uses (markers, test and benchmark knobs, what COMMAND gets) is either a
// flag's variable or listed as not one, so none is ever warned about.
func TestSourceVariablesAreKnown(t *testing.T) {
	re := regexp.MustCompile(`AUTORELOAD_[A-Z][A-Z0-9_]*[A-Z0-9]`)
	seen := map[string]string{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		// These files name typos on purpose.
		if d.IsDir() || d.Name() == "variables_test.go" || d.Name() == "variables.go" ||
			!(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sh") || filepath.Dir(path) == "../../scripts") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range re.FindAllString(string(b), -1) {
			seen[n] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d AUTORELOAD_ names in the source: %v", len(seen), seen)
	}
	var environ []string
	for n := range seen {
		environ = append(environ, n+"=1")
	}
	for _, u := range unknownVariables(environ) {
		t.Errorf("%s (used in %s) would be warned about as unknown: add it to notFlagVariables", u.name, seen[u.name])
	}
}

// TestUnknownVariableWarnedOnce: end to end, a typo in the environment gets
// one warning, even under -q, and the variables autoreload sets for COMMAND
// (present when COMMAND is autoreload itself) get none.
func TestUnknownVariableWarnedOnce(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreloadEnv(t, t.TempDir(),
		[]string{"AUTORELOAD_EXTS=go", "AUTORELOAD_ENV=true", "AUTORELOAD_CHANGED=/src/a.go"},
		"-q", "--", helper, "env", out)
	e := s.await("unknown variable", nil)
	testkit.WaitLines(t, out, 1) // COMMAND runs: autoreload takes signals
	if e["name"] != "AUTORELOAD_EXTS" || e["meant"] != "AUTORELOAD_EXT" || e["level"] != "WARN" {
		t.Errorf("unknown variable = %v, want name AUTORELOAD_EXTS, meant AUTORELOAD_EXT, level WARN", e)
	}
	rest := s.stop()
	if n := strings.Count(s.logText(), "unknown variable"); n != 1 {
		t.Errorf("%d unknown-variable warnings, want 1; log:\n%s (then %v)", n, s.logText(), rest)
	}
}

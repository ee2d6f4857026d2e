package main

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/watchman/spec"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	cfg, err := parseConfig([]string{"go", "run", "."}, env())
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		watch: []string{"."}, reloader: "auto", pollInterval: time.Second,
		watchmanTimeout: 5 * time.Second, watchmanRetry: 10 * time.Second,
		stopSignal: syscall.SIGTERM, grace: 5 * time.Second, onExit: supervisor.OnExitWait,
		deferStates: []string{"hg.update"}, logFormat: "text", command: []string{"go", "run", "."},
	}
	if !slices.Equal(cfg.watch, want.watch) || cfg.reloader != want.reloader ||
		cfg.pollInterval != want.pollInterval || cfg.watchmanTimeout != want.watchmanTimeout ||
		cfg.watchmanRetry != want.watchmanRetry || cfg.debounce != 0 || cfg.stopSignal != want.stopSignal ||
		cfg.grace != want.grace || cfg.onExit != want.onExit || !slices.Equal(cfg.deferStates, want.deferStates) ||
		cfg.logFormat != want.logFormat || !slices.Equal(cfg.command, want.command) ||
		cfg.noDefaultIgnores || cfg.verbose || cfg.quiet {
		t.Errorf("defaults = %+v, want %+v", *cfg, want)
	}
}

func TestFlagsEndAtCommand(t *testing.T) {
	cfg, err := parseConfig([]string{"-e", "go", "go", "test", "-v", "./..."}, env())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.command, []string{"go", "test", "-v", "./..."}) || cfg.verbose {
		t.Errorf("command = %q, verbose = %v; want -v passed to go", cfg.command, cfg.verbose)
	}
	cfg, err = parseConfig([]string{"-q", "--", "-weird-name", "--x"}, env())
	if err != nil || !slices.Equal(cfg.command, []string{"-weird-name", "--x"}) || !cfg.quiet {
		t.Errorf("after --: %+v, %v", cfg, err)
	}
}

func TestRepeatableFlagsNeverSplitOnCommas(t *testing.T) {
	cfg, err := parseConfig([]string{"-p", "*.{go,tmpl}", "--pattern=a,b", "-i", "x,y", "-w", "src", "-w", "lib", "true"}, env())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.patterns, []string{"*.{go,tmpl}", "a,b"}) || !slices.Equal(cfg.ignores, []string{"x,y"}) ||
		!slices.Equal(cfg.watch, []string{"src", "lib"}) {
		t.Errorf("patterns %q ignores %q watch %q", cfg.patterns, cfg.ignores, cfg.watch)
	}
}

func TestExtIsACommaList(t *testing.T) {
	cfg, err := parseConfig([]string{"-e", "go,.tmpl", "--ext", "py", "true"}, env())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.exts, []string{"go", "tmpl", "py"}) {
		t.Errorf("exts = %q", cfg.exts)
	}
}

func TestEnvironmentSetsFlagsAndFlagsWin(t *testing.T) {
	e := env(
		"AUTORELOAD_ON_EXIT", "restart",
		"AUTORELOAD_POLL_INTERVAL", "250ms",
		"AUTORELOAD_WATCH", "src:lib",
		"AUTORELOAD_PATTERN", "*.{go,tmpl}",
		"AUTORELOAD_SIGNAL", "INT",
		"AUTORELOAD_GRACE", "9s",
		"AUTORELOAD_NO_DEFAULT_IGNORES", "true",
		"AUTORELOAD_NO_IGNORE_FILES", "true",
		"AUTORELOAD_WATCHMAN_RETRY", "1m",
		"AUTORELOAD_DEFER_STATE", "hg.update:git.checkout",
		"AUTORELOAD_EXT", "go,md",
		"AUTORELOAD_LOG_FORMAT", "",
	)
	cfg, err := parseConfig([]string{"--grace", "1s", "-w", "cmd", "true"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.onExit != supervisor.OnExitRestart || cfg.pollInterval != 250*time.Millisecond ||
		cfg.stopSignal != syscall.SIGINT || !cfg.noDefaultIgnores || !cfg.noIgnoreFiles || cfg.watchmanRetry != time.Minute {
		t.Errorf("from the environment: %+v", *cfg)
	}
	if cfg.grace != time.Second || !slices.Equal(cfg.watch, []string{"cmd"}) {
		t.Errorf("flags must win: grace %v watch %q", cfg.grace, cfg.watch)
	}
	if !slices.Equal(cfg.patterns, []string{"*.{go,tmpl}"}) || !slices.Equal(cfg.deferStates, []string{"hg.update", "git.checkout"}) ||
		!slices.Equal(cfg.exts, []string{"go", "md"}) || cfg.logFormat != "text" {
		t.Errorf("lists from the environment: patterns %q defer %q exts %q log %q", cfg.patterns, cfg.deferStates, cfg.exts, cfg.logFormat)
	}
}

func TestSignalNames(t *testing.T) {
	for _, s := range []string{"TERM", "SIGTERM", "sigterm", "term", "15"} {
		if sig, err := parseSignal(s); err != nil || sig != syscall.SIGTERM {
			t.Errorf("parseSignal(%q) = %v, %v; want SIGTERM", s, sig, err)
		}
	}
	for _, s := range []string{"", "TERMINATE", "0", "-1", "999", "SIG"} {
		if sig, err := parseSignal(s); err == nil {
			t.Errorf("parseSignal(%q) = %v, want an error", s, sig)
		}
	}
}

// TestEveryFlagDocumented keeps the help text and the README in step with
// the flags.
func TestEveryFlagDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs := newFlagSet(&config{})
	fs.VisitAll(func(f *pflag.Flag) {
		long := "--" + f.Name
		if !strings.Contains(helpText, long) {
			t.Errorf("--help does not mention %s", long)
		}
		if f.Shorthand != "" && !strings.Contains(helpText, "-"+f.Shorthand+", "+long) {
			t.Errorf("--help does not give -%s for %s", f.Shorthand, long)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(long) + `\b`).Match(readme) {
			t.Errorf("README.md does not mention %s", long)
		}
	})
	for _, flag := range regexp.MustCompile(`--[a-z][a-z-]+`).FindAllString(helpText, -1) {
		if fs.Lookup(strings.TrimPrefix(flag, "--")) == nil && flag != "--noreload" {
			t.Errorf("--help mentions %s, which is no flag", flag)
		}
	}
}

// TestReadmeDefaults: the README's flag tables give each default as the
// flag has it (the packages' constants), and so does --help.
func TestReadmeDefaults(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs := newFlagSet(&config{})
	row := regexp.MustCompile("(?m)^\\| `(?:-[a-z], )?--([a-z-]+)[^`]*` \\| `([^`]*)` \\|")
	checked := 0
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		f := fs.Lookup(m[1])
		if f == nil {
			t.Errorf("README.md documents --%s, which is no flag", m[1])
			continue
		}
		def := strings.TrimSuffix(strings.TrimPrefix(f.DefValue, "["), "]")
		if def == "0s" {
			def = "0" // written as people write it
		}
		if f.Name == "reloader" || f.Name == "log-format" || f.Name == "on-exit" || f.Name == "signal" {
			continue // set by parseConfig, not by the flag set
		}
		checked++
		if m[2] != def {
			t.Errorf("README.md gives --%s's default as %q, the flag has %q", f.Name, m[2], def)
		}
		if f.Value.Type() == "duration" && !regexp.MustCompile(`\(default `+regexp.QuoteMeta(def)+`\b`).MatchString(helpText) {
			t.Errorf("--help does not give --%s's default %s", f.Name, def)
		}
	}
	if checked < 5 {
		t.Fatalf("found %d defaults in README.md's flag tables, want the durations and --watch at least", checked)
	}
	ignores := regexp.MustCompile("(?s)Ignored by default \\(`--no-default-ignores` watches them\\):(.*?)\\.\n").FindSubmatch(readme)
	if ignores == nil {
		t.Fatal("README.md does not list the default ignores")
	}
	var listed []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllSubmatch(ignores[1], -1) {
		listed = append(listed, string(m[1]))
	}
	if want := spec.DefaultIgnores(); !slices.Equal(listed, want) {
		t.Errorf("README.md lists the default ignores %q, the spec has %q", listed, want)
	}
	helpWords := strings.Fields(helpText)
	for _, ig := range spec.DefaultIgnores() {
		if !slices.Contains(helpWords, ig) {
			t.Errorf("--help does not list the default ignore %s", ig)
		}
	}
}

// TestExamplesParse: every autoreload command line in README.md and in
// --help parses, and its patterns make a valid spec.
func TestExamplesParse(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	// A line ending in a backslash goes on.
	text := strings.ReplaceAll(string(readme)+"\n"+helpText, "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.Split(line, " #")[0])
		if _, rest, ok := strings.Cut(line, "autoreload "); ok && (strings.HasPrefix(line, "autoreload ") || strings.HasPrefix(line, "AUTORELOAD_")) {
			lines = append(lines, rest)
		}
	}
	if len(lines) < 8 {
		t.Fatalf("found %d example command lines, want the recipes and the help's examples", len(lines))
	}
	for _, line := range lines {
		args := shellWords(line)
		if len(args) == 0 || args[0] == "[flags]" {
			continue
		}
		cfg, err := parseConfig(args, env())
		if err != nil {
			t.Errorf("autoreload %s: %v", line, err)
			continue
		}
		if _, err := spec.New(spec.Options{Watch: []string{t.TempDir()}, Patterns: cfg.patterns, Exts: cfg.exts, Ignores: cfg.ignores}); err != nil {
			t.Errorf("autoreload %s: %v", line, err)
		}
	}
}

// shellWords splits a command line as sh would, for the quoting the
// examples use: single quotes, double quotes with backslash escapes, and
// plain words.
func shellWords(line string) []string {
	var words []string
	var word strings.Builder
	inWord, escaped := false, false
	var quote rune // ' or ", while inside quotes
	for _, r := range line {
		switch {
		case escaped:
			word.WriteRune(r)
			escaped = false
		case r == '\\' && quote == '"':
			escaped = true
		case (r == '\'' || r == '"') && (quote == 0 || quote == r):
			if quote == 0 {
				quote = r
			} else {
				quote = 0
			}
			inWord = true
		case r == ' ' && quote == 0:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// TestPeriodsBelowTheirMinimumAreRefused: a poll interval of 1ns spins a
// core and a Watchman timeout of 0 declares every daemon dead, whatever
// --reloader says; the error names the flag (or its variable) and the
// smallest value allowed. --debounce 0 and --grace 0 keep their meaning.
func TestPeriodsBelowTheirMinimumAreRefused(t *testing.T) {
	cases := []struct{ flag, value, min string }{
		{"poll-interval", "1ns", "10ms"},
		{"poll-interval", "9ms", "10ms"},
		{"poll-interval", "0", "10ms"},
		{"watchman-timeout", "0", "100ms"},
		{"watchman-timeout", "99ms", "100ms"},
		{"watchman-retry", "0s", "100ms"},
		{"watchman-retry", "50ms", "100ms"},
	}
	for _, c := range cases {
		for _, reloader := range []string{"auto", "watchman", "stat"} {
			_, err := parseConfig([]string{"--reloader", reloader, "--" + c.flag, c.value, "true"}, env())
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--"+c.flag) || !strings.Contains(err.Error(), c.min) {
				t.Errorf("--reloader %s --%s %s: %v; want a usage error naming --%s and %s", reloader, c.flag, c.value, err, c.flag, c.min)
			}
			name := envName(c.flag)
			_, err = parseConfig([]string{"--reloader", reloader, "true"}, env(name, c.value))
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), c.min) {
				t.Errorf("--reloader %s %s=%s: %v; want a usage error naming %s and %s", reloader, name, c.value, err, name, c.min)
			}
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		doc := "--" + c.flag + " DUR"
		help := helpText[strings.Index(helpText, doc):]
		help = help[:strings.Index(help, "\n      -")]
		if !strings.Contains(help, "at least "+c.min) {
			t.Errorf("--help on --%s does not say \"at least %s\": %q", c.flag, c.min, help)
		}
		if !regexp.MustCompile("(?m)^\\| `--" + c.flag + " .*at least `" + c.min + "`").Match(readme) {
			t.Errorf("README.md's row for --%s does not say \"at least `%s`\"", c.flag, c.min)
		}
	}
	ok := []string{"--poll-interval", "10ms", "--watchman-timeout", "100ms", "--watchman-retry", "100ms",
		"--debounce", "0", "--grace", "0", "true"}
	cfg, err := parseConfig(ok, env())
	if err != nil {
		t.Fatalf("the minimums themselves, with --debounce 0 --grace 0: %v", err)
	}
	if cfg.pollInterval != 10*time.Millisecond || cfg.watchmanTimeout != 100*time.Millisecond ||
		cfg.watchmanRetry != 100*time.Millisecond || cfg.debounce != 0 || cfg.grace != 0 {
		t.Errorf("parsed %+v", *cfg)
	}
}

// TestSignalsThatEndNothingAreRefused: a stop signal that stops the process
// (STOP, TSTP, TTIN, TTOU) or that it ignores by default (CHLD, CONT, URG,
// WINCH) ends nothing, so every restart would wait out the whole grace.
// Whatever the spelling, flag or variable, they are usage errors; the
// signals that do end a process stay accepted.
func TestSignalsThatEndNothingAreRefused(t *testing.T) {
	refused := []string{"STOP", "SIGSTOP", "stop", strconv.Itoa(int(syscall.SIGSTOP)), "TSTP", "TTIN", "TTOU",
		"CHLD", strconv.Itoa(int(syscall.SIGCHLD)), "CONT", "URG", "WINCH"}
	for _, s := range refused {
		_, err := parseConfig([]string{"--signal", s, "true"}, env())
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--signal") {
			t.Errorf("--signal %s: %v; want a usage error naming --signal", s, err)
		}
		_, err = parseConfig([]string{"true"}, env("AUTORELOAD_SIGNAL", s))
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "AUTORELOAD_SIGNAL") {
			t.Errorf("AUTORELOAD_SIGNAL=%s: %v; want a usage error naming AUTORELOAD_SIGNAL", s, err)
		}
	}
	for _, s := range []string{"TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2", "ALRM", "PIPE"} {
		if _, err := parseConfig([]string{"--signal", s, "true"}, env()); err != nil {
			t.Errorf("--signal %s: %v; want it accepted", s, err)
		}
	}
}

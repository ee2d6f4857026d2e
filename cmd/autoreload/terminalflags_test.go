package main

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTerminalFlags: -I, --clear with and without its value, --notify and
// --postpone, from the command line and from their variables; a bad
// --clear is a usage error naming the values.
func TestTerminalFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  []string
		want config
	}{
		{[]string{"x"}, nil, config{}},
		{[]string{"-I", "--clear", "--notify", "--postpone", "x"}, nil, config{keys: true, clear: "clear", notify: true, postpone: true}},
		{[]string{"--keys", "--clear=reset", "x"}, nil, config{keys: true, clear: "reset"}},
		{[]string{"x"}, []string{"AUTORELOAD_KEYS", "true", "AUTORELOAD_CLEAR", "reset", "AUTORELOAD_NOTIFY", "1", "AUTORELOAD_POSTPONE", "true"},
			config{keys: true, clear: "reset", notify: true, postpone: true}},
		{[]string{"--clear=clear", "x"}, []string{"AUTORELOAD_CLEAR", "reset"}, config{clear: "clear"}},
		{[]string{"x"}, []string{"AUTORELOAD_CLEAR", "true"}, config{clear: "clear"}},
		{[]string{"--clear=false", "x"}, []string{"AUTORELOAD_CLEAR", "true"}, config{}},
	} {
		cfg, err := parseConfig(tc.args, env(tc.env...))
		if err != nil {
			t.Errorf("%q %q: %v", tc.args, tc.env, err)
			continue
		}
		if cfg.keys != tc.want.keys || cfg.clear != tc.want.clear || cfg.notify != tc.want.notify || cfg.postpone != tc.want.postpone {
			t.Errorf("%q %q: keys=%v clear=%q notify=%v postpone=%v, want %+v", tc.args, tc.env,
				cfg.keys, cfg.clear, cfg.notify, cfg.postpone, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--clear=all", "x"}, nil, `invalid argument "all" for "--clear" flag: want clear or reset`},
		{[]string{"x"}, []string{"AUTORELOAD_CLEAR", "yes"}, `invalid AUTORELOAD_CLEAR="yes": want clear or reset`},
		{[]string{"--clear="}, nil, `want clear or reset`},
		{[]string{"x"}, []string{"AUTORELOAD_KEYS", "sure"}, `invalid AUTORELOAD_KEYS="sure"`},
	} {
		_, err := parseConfig(tc.args, env(tc.env...))
		var usage *usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: %v, want a usage error with %q", tc.args, tc.env, err, tc.want)
		}
	}
}

// TestTerminalFlagsInTheProjectFile: the project file sets them as their
// long names, --clear as a boolean or its mode.
func TestTerminalFlagsInTheProjectFile(t *testing.T) {
	for content, want := range map[string]config{
		"keys = true\nnotify = true\npostpone = true\nclear = true\ncommand = [\"x\"]\n": {keys: true, notify: true, postpone: true, clear: "clear"},
		"clear = \"reset\"\ncommand = [\"x\"]\n":                                         {clear: "reset"},
		"clear = false\ncommand = [\"x\"]\n":                                             {},
	} {
		dir := projectDir(t, content)
		cfg, err := parseConfig([]string{"--config", filepath.Join(dir, ".autoreload.toml")}, env())
		if err != nil {
			t.Errorf("%q: %v", content, err)
			continue
		}
		if cfg.keys != want.keys || cfg.clear != want.clear || cfg.notify != want.notify || cfg.postpone != want.postpone {
			t.Errorf("%q: keys=%v clear=%q notify=%v postpone=%v, want %+v", content, cfg.keys, cfg.clear, cfg.notify, cfg.postpone, want)
		}
	}
	dir := projectDir(t, "clear = 1\ncommand = [\"x\"]\n")
	if _, err := parseConfig([]string{"--config", filepath.Join(dir, ".autoreload.toml")}, env()); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("clear = 1: %v, want an error naming line 1", err)
	}
}

// TestPidAtVerbose: with -v, autoreload's first line is its own pid, for
// kill -USR1, which then restarts COMMAND.
func TestPidAtVerbose(t *testing.T) {
	t.Parallel()
	s := startAutoreload(t, t.TempDir(), "-v", "--", "sleep", "1000")
	if e := s.next("pid"); e.msg() != "pid" || e.pid() != s.cmd.Process.Pid {
		t.Fatalf("first event %v, want pid %d", e, s.cmd.Process.Pid)
	}
	first := s.ready()
	s.signal(syscall.SIGUSR1)
	s.await("restart", func(e event) bool { return e["signal"] == "SIGUSR1" })
	if next := s.await("started", nil); next.pid() == first.pid() {
		t.Error("SIGUSR1: no new COMMAND")
	}
	s.stop()
}

// TestKeysWithoutATerminal: -I where stdin is no terminal warns and
// changes nothing: COMMAND keeps autoreload's stdin.
func TestKeysWithoutATerminal(t *testing.T) {
	t.Parallel()
	s := startAutoreload(t, t.TempDir(), "-I", "--", "sleep", "1000")
	if e := s.await("no keys", nil, "keys"); e["reason"] != "stdin is not a terminal" {
		t.Errorf("no keys: %v, want the reason", e)
	}
	s.ready()
	s.stop()
}

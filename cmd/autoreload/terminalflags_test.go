package main

import (
	"errors"
	"strings"
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
		{[]string{"x"}, []string{"AUTORELOAD_KEYS", "sure"}, `invalid AUTORELOAD_KEYS="sure"`},
	} {
		_, err := parseConfig(tc.args, env(tc.env...))
		var usage *usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: %v, want a usage error with %q", tc.args, tc.env, err, tc.want)
		}
	}
}

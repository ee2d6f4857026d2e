package guard

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReportsRoundTrip(t *testing.T) {
	for _, r := range []Report{{Started, 42}, {Failed, int(syscall.ENOENT)}, {Stopped, int(syscall.SIGTSTP)},
		{Interrupted, 0}, {Exited, 3}, {Killed, int(syscall.SIGKILL)}, {Gone, 0}} {
		got, err := DecodeReport(r.Encode())
		if err != nil || got != r {
			t.Errorf("DecodeReport(%q) = %v, %v; want %v", r.Encode(), got, err, r)
		}
	}
	for _, bad := range []string{"", "started", "started x\n", "hello 1\n", " 1\n"} {
		if r, err := DecodeReport(bad); err == nil {
			t.Errorf("DecodeReport(%q) = %v, want an error", bad, r)
		}
	}
}

func TestArgsRoundTrip(t *testing.T) {
	g := guardArgs{stopSignal: syscall.SIGINT, grace: 1500 * time.Millisecond,
		path: "/bin/sh", argv: []string{"sh", "-c", "a b", ""}}
	argv := g.encode()
	if argv[0] != guardName {
		t.Fatalf("argv[0] = %q, want %q", argv[0], guardName)
	}
	got, err := decodeGuardArgs(argv[1:])
	if err != nil || got.stopSignal != g.stopSignal || got.grace != g.grace ||
		got.path != g.path || !slices.Equal(got.argv, g.argv) {
		t.Errorf("decodeGuardArgs(%q) = %+v, %v; want %+v", argv, got, err, g)
	}
	if _, err := decodeGuardArgs(argv[1:3]); err == nil {
		t.Error("decodeGuardArgs of a short argv succeeded")
	}
	s := shimArgs{path: "/bin/true", argv: []string{"true"}}
	argv = s.encode()
	if got, err := decodeShimArgs(argv[1:]); err != nil || argv[0] != shimName || got.path != s.path ||
		!slices.Equal(got.argv, s.argv) {
		t.Errorf("decodeShimArgs(%q) = %+v, %v; want %+v", argv, got, err, s)
	}
}

func TestControlRoundTrip(t *testing.T) {
	for _, m := range []control{{op: opGo}, {op: opRestart, foreground: true, env: []string{"AUTORELOAD_CHANGED=a\nb c\n", "X=", ""}},
		{op: opStop}, {op: opHold}, {op: opKill}} {
		got, err := decodeControl(newLineReader(bytes.NewReader(append(m.encode(), "rest"...))))
		if err != nil || got.op != m.op || got.foreground != m.foreground || !slices.Equal(got.env, m.env) {
			t.Errorf("decodeControl(%q) = %+v, %v; want %+v", m.encode(), got, err, m)
		}
	}
	if _, err := decodeControl(newLineReader(bytes.NewReader(nil))); err != io.EOF {
		t.Errorf("decodeControl of nothing: %v, want io.EOF", err)
	}
	for _, bad := range []string{"go 2 0\n", "go 1 1\n", "restart 1 1\n5\nab", "stop 1\n", "halt\n"} {
		if m, err := decodeControl(newLineReader(bytes.NewReader([]byte(bad)))); err == nil {
			t.Errorf("decodeControl(%q) = %+v, want an error", bad, m)
		}
	}
}

func TestGuardEnv(t *testing.T) {
	env, restore := guardEnv([]string{"A=1", "GOGC=50", "B=2", "GOGC=70"})
	if want := append([]string{"A=1", "B=2"}, append(guardRuntime, roleVar+"="+roleGuard)...); !slices.Equal(env, want) {
		t.Errorf("guardEnv: env %q, want %q", env, want)
	}
	if i := slices.Index(guardRuntime, "GOGC=20"); i < 0 || restore[i] != "GOGC=50" {
		t.Errorf("guardEnv: restore %q, want the first GOGC", restore)
	}
	_, restore = guardEnv([]string{"A=1"})
	for i, kv := range guardRuntime {
		if key, _, _ := strings.Cut(kv, "="); restore[i] != key {
			t.Errorf("guardEnv without %s: restore %q, want the bare key", key, restore)
		}
	}
}

//go:build linux

package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// buildScript is a --build whose speed and outcome the test controls: it
// notes each run in BLOG, waits at the gate while GATE exists until
// RELEASE does, fails with 7 when the source says "bad", else "builds"
// the source into BUILT, which the server reports as its version.
const buildScript = `
echo "build $(printf %s "$AUTORELOAD_CHANGED" | tr '\n' ,)" >> "$BLOG"
if [ -f "$GATE" ]; then
	echo waiting >> "$BLOG"
	while [ ! -f "$RELEASE" ]; do sleep 0.01; done
fi
v=$(cat "$SRC")
case $v in bad*) exit 7 ;; esac
cp "$SRC" "$BUILT"
`

// TestBuildKeepsTheOldServerUntilTheNewOneIsGood walks the cases:
// the old server answers during a slow build; a failing build (exit 7) is
// logged with its code and restarts nothing; a fixed build restarts with
// the new version and the changes of the failed one; an edit during a
// build cancels it and leads to exactly one start, of the latest version.
func TestBuildKeepsTheOldServerUntilTheNewOneIsGood(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), t.TempDir()
	src, other := filepath.Join(dir, "version.txt"), filepath.Join(dir, "other.txt")
	testkit.Write(t, src, "v1")
	blog, gate, release := filepath.Join(out, "blog"), filepath.Join(out, "gate"), filepath.Join(out, "release")
	built, info, script := filepath.Join(out, "built"), filepath.Join(out, "info"), filepath.Join(out, "build.sh")
	testkit.Write(t, script, buildScript)
	env := []string{serverVar + "=1", "BLOG=" + blog, "GATE=" + gate, "RELEASE=" + release, "SRC=" + src, "BUILT=" + built}
	addr := freeAddr(t)
	// The debounce makes two writes one change.
	s := startAutoreloadEnv(t, dir, env, append([]string{"--socket", addr, "--debounce=200ms",
		"--build", "sh " + script, "--"}, serverCommand(info, built)...)...)
	first := awaitAll(s, []string{"build", "built", "watching", "started"}, "build failed")
	if first["built"]["duration"] == nil {
		t.Errorf("built without a duration: %v", first["built"])
	}
	pid := first["started"].pid()
	client := &http.Client{Timeout: waitLimit}
	answer := func() []string {
		t.Helper()
		body, err := get(client, "http://"+addr+"/")
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		return strings.Fields(body + " -")
	}
	expect := func(pid int, version string) []string {
		t.Helper()
		a := answer()
		if a[0] != strconv.Itoa(pid) || a[1] != version {
			t.Fatalf("answer %q, want pid %d and version %s; log:\n%s", a, pid, version, s.logText())
		}
		return a
	}
	expect(pid, "v1")

	// A slow build: the old server answers until it is done.
	testkit.Write(t, gate, "")
	testkit.Write(t, src, "v2")
	s.await("build", nil, "exited", "started")
	waitFor(t, blog, "waiting", 1)
	for range 3 {
		expect(pid, "v1")
	}
	testkit.Write(t, release, "")
	s.await("built", nil, "exited", "started", "build failed")
	if e := s.await("exited", nil, "started"); e.pid() != pid {
		t.Fatalf("exited %v, want pid %d", e, pid)
	}
	pid = s.await("started", nil).pid()
	expect(pid, "v2")
	os.Remove(gate)
	os.Remove(release)

	// A failing build: logged with its code, nothing restarted.
	testkit.Write(t, other, "x")
	testkit.Write(t, src, "bad")
	s.await("build", nil, "exited", "started")
	if e := s.await("build failed", nil, "exited", "started", "built"); e["code"] != 7.0 {
		t.Errorf("build failed %v, want code 7", e)
	}
	expect(pid, "v2")

	// Fixed: one restart, with the changes of the failed build too.
	testkit.Write(t, src, "v3")
	s.await("built", nil, "exited", "started", "build failed")
	s.await("exited", nil, "started")
	pid = s.await("started", nil).pid()
	a := expect(pid, "v3")
	if changed := strings.Split(a[2], ","); !contains(changed, src) || !contains(changed, other) {
		t.Errorf("AUTORELOAD_CHANGED after the fix is %q, want %s and %s (carried over from the failed build)", a[2], src, other)
	}

	// An edit during a build: that build is cancelled, one start follows.
	testkit.Write(t, gate, "")
	testkit.Write(t, src, "v4")
	s.await("build", nil, "exited", "started")
	waitFor(t, blog, "waiting", 2)
	testkit.Write(t, src, "v5")
	s.await("build cancelled", nil, "build failed", "built", "exited", "started")
	s.await("build", nil, "build failed", "built", "exited", "started")
	testkit.Write(t, release, "")
	s.await("built", nil, "build failed", "exited", "started")
	s.await("exited", nil, "started")
	pid = s.await("started", nil).pid()
	expect(pid, "v5")
	for _, e := range s.stop() {
		if e.msg() == "started" || strings.HasPrefix(e.msg(), "build") {
			t.Errorf("after the last start: %v", e)
		}
	}
}

// TestFirstBuildFails: with nothing to run, autoreload logs the failure and
// waits for a change; a good build then starts COMMAND.
func TestFirstBuildFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "ok")
	marker := filepath.Join(t.TempDir(), "ran")
	s := startAutoreload(t, dir, "--build", "test -f "+src, "--", "sh", "-c", `echo ran >> "$0"; exec sleep 1000`, marker)
	// The watcher is set up beside the build: its "watching" comes in
	// either order with the build's end.
	if e := awaitAll(s, []string{"build failed", "watching"}, "started", "built")["build failed"]; e["code"] != 1.0 {
		t.Errorf("build failed %v, want code 1", e)
	}
	testkit.Write(t, src, "")
	s.await("built", nil, "started", "build failed")
	s.await("started", nil)
	testkit.WaitLines(t, marker, 1)
	s.stop()
}

// TestBuildMakesTheCommand: COMMAND may be what the build produces (the
// README's recipe, bin/server, on a fresh clone): its absence before the
// first build is no error.
func TestBuildMakesTheCommand(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), t.TempDir()
	server, marker := filepath.Join(out, "bin", "server"), filepath.Join(out, "ran")
	script := filepath.Join(out, "build.sh")
	testkit.Write(t, script, `mkdir -p "$(dirname "$1")" && printf '#!/bin/sh\necho ran >> "$1"\nexec sleep 1000\n' > "$1" && chmod +x "$1"`)
	s := startAutoreload(t, dir, "--build", "sh "+script+" "+server, "--", server, marker)
	awaitAll(s, []string{"built", "watching"}, "failed", "build failed", "started")
	s.await("started", nil, "failed")
	testkit.WaitLines(t, marker, 1)
	s.stop()
}

// awaitAll waits for one event of each msg in want, in any order (events
// of the watcher and of COMMAND's start interleave), failing on any msg in
// forbidden; the first of each is returned.
func awaitAll(s *session, want []string, forbidden ...string) map[string]event {
	s.t.Helper()
	got := map[string]event{}
	for len(got) < len(want) {
		e := s.next(strings.Join(want, ", "))
		if contains(forbidden, e.msg()) {
			s.t.Fatalf("got %v while waiting for %q; log:\n%s", e, want, s.logText())
		}
		if _, seen := got[e.msg()]; !seen && contains(want, e.msg()) {
			got[e.msg()] = e
		}
	}
	return got
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitFor waits until path has n lines equal to line.
func waitFor(t *testing.T, path, line string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		data, _ := os.ReadFile(path)
		if strings.Count("\n"+string(data), "\n"+line+"\n") >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want %d lines %q within %v, have %q", path, n, line, waitLimit, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

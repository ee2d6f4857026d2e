package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// --deps-from end to end: the built binary, real files, real go commands
// and real processes declaring on the channel.

// depsHelper is COMMAND's side of the child tests. spawn ARGS... starts
// the helper with ARGS as a child and stays; declare GATE LIST waits for
// GATE to exist, then declares the paths LIST holds on
// AUTORELOAD_DEPS_SOCKET.
func depsHelper(args []string) {
	switch args[0] {
	case "spawn":
		cmd := exec.Command(os.Args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(100)
		}
	case "declare":
		for {
			if _, err := os.Stat(args[1]); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		c, err := net.Dial("unix", os.Getenv("AUTORELOAD_DEPS_SOCKET"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(100)
		}
		list, err := os.ReadFile(args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(100)
		}
		c.Write(list)
		c.Close()
	}
}

// goModule writes a module with two commands importing different
// packages and a replace module outside dir: dir/m and lib, both below
// the returned parent.
func goModule(t *testing.T) (parent string) {
	t.Helper()
	parent = t.TempDir()
	files := map[string]string{
		"m/go.mod":   "module example.com/m\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		"m/pa/pa.go": "package pa\n\nfunc A() string { return \"a\" }\n",
		"m/pb/pb.go": "package pb\n\nfunc B() string { return \"b\" }\n",
		"m/pc/pc.go": "package pc\n\nfunc C() string { return \"c\" }\n",
		"m/cmd/a/main.go": "package main\n\nimport (\n\t\"time\"\n\n\t\"example.com/lib\"\n\t\"example.com/m/pa\"\n)\n\n" +
			"func main() {\n\tprintln(pa.A(), lib.Name())\n\ttime.Sleep(time.Hour)\n}\n",
		"m/cmd/b/main.go": "package main\n\nimport \"example.com/m/pb\"\n\nfunc main() { println(pb.B()) }\n",
		"lib/go.mod":      "module example.com/lib\n\ngo 1.22\n",
		"lib/lib.go":      "package lib\n\nfunc Name() string { return \"lib\" }\n",
	}
	for name, data := range files {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		testkit.Write(t, p, data)
	}
	watchmantest.AgeFiles(t, spec.FileTime)
	return parent
}

// goEnv keeps the go command offline: the test modules import only the
// standard library and each other.
var goEnv = []string{"GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off"}

// TestDepsFromGo: with --deps-from go, an edit restarts go run ./cmd/a
// only when cmd/a is built from the file, the replace module outside the
// watched tree included, and an import added is followed.
func TestDepsFromGo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	t.Run("stat", func(t *testing.T) { testDepsFromGo(t, nil, "--reloader=stat") })
	t.Run("watchman", func(t *testing.T) {
		d := watchmantest.Start(t)
		testDepsFromGo(t, []string{"WATCHMAN_SOCK=" + d.Sock}, "--reloader=watchman")
	})
}

func testDepsFromGo(t *testing.T, env []string, reloader string) {
	parent := goModule(t)
	m, lib := filepath.Join(parent, "m"), filepath.Join(parent, "lib")
	s := startAutoreloadEnv(t, m, append(env, goEnv...), reloader, "-v", "--deps-from", "go", "--", "go", "run", "./cmd/a")
	watching, _ := s.readyEvents()
	if watching["deps"] != "all" {
		t.Errorf("first watching says deps=%v, want all (no answer yet)", watching["deps"])
	}
	first := s.await("deps", nil, "changed")
	if n, _ := first["count"].(float64); n == 0 || first["error"] != nil {
		t.Fatalf("first deps event %v; log:\n%s", first, s.logText())
	}
	outside := s.await("watching", func(e event) bool { return e["deps_outside"] == true })
	if roots, _ := outside["roots"].([]any); !slices.Contains(roots, any(lib)) {
		t.Fatalf("outside watching %v, want %s among its roots", outside, lib)
	}

	notUsed := func(path string) {
		t.Helper()
		s.await("not used", func(e event) bool { return slices.Contains(e.paths(), path) }, "changed", "started")
	}
	restarts := func(path, data string) {
		t.Helper()
		replaceFile(t, path, data)
		changed := s.await("changed", nil, "started")
		if !slices.Equal(changed.paths(), []string{path}) {
			t.Fatalf("changed %v, want only %s; log:\n%s", changed.paths(), path, s.logText())
		}
		// The start, and the refresh the restart asked for (in either
		// order: it runs beside the restart), before the next step.
		var started, refreshed bool
		for !started || !refreshed {
			switch e := s.next("started and deps"); e.msg() {
			case "changed":
				t.Fatalf("changed again: %v; log:\n%s", e, s.logText())
			case "started":
				started = true
			case "deps":
				if e["error"] != nil {
					t.Fatalf("refresh failed: %v", e)
				}
				refreshed = true
			}
		}
	}

	pb := filepath.Join(m, "pb", "pb.go")
	replaceFile(t, pb, "package pb\n\nfunc B() string { return \"B\" }\n")
	notUsed(pb)

	restarts(filepath.Join(m, "pa", "pa.go"), "package pa\n\nfunc A() string { return \"A\" }\n")
	restarts(filepath.Join(lib, "lib.go"), "package lib\n\nfunc Name() string { return \"LIB\" }\n")

	build := exec.Command("go", "build", "-o", "cmd/a/a-bin", "./cmd/a")
	build.Dir, build.Env = m, overrideEnv(os.Environ(), goEnv)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	notUsed(filepath.Join(m, "cmd", "a", "a-bin"))

	pc := filepath.Join(m, "pc", "pc.go")
	replaceFile(t, pc, "package pc\n\nfunc C() string { return \"C\" }\n")
	notUsed(pc)
	restarts(filepath.Join(m, "cmd", "a", "main.go"), "package main\n\nimport (\n\t\"time\"\n\n\t\"example.com/lib\"\n\t\"example.com/m/pa\"\n\t\"example.com/m/pc\"\n)\n\n"+
		"func main() {\n\tprintln(pa.A(), lib.Name(), pc.C())\n\ttime.Sleep(time.Hour)\n}\n")
	restarts(pc, "package pc\n\nfunc C() string { return \"cc\" }\n")
	s.stop()
}

// TestDepsFromFailing: a --deps-from command that fails is one warning
// naming it, its exit and its last stderr line, and every change counts.
func TestDepsFromFailing(t *testing.T) {
	dir := agedTree(t)
	cmd := "echo 'first line' >&2; echo 'bazel: no such target' >&2; exit 1"
	s := startAutoreload(t, dir, "--deps-from", cmd, "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	s.ready()
	e := s.await("deps", nil, "changed")
	want := cmd + ": exit 1: bazel: no such target"
	if e["level"] != "WARN" || e["error"] != want || e["from"] != cmd || e["count"] != nil {
		t.Fatalf("deps event %v, want a warning with error %q", e, want)
	}
	for i := range 2 {
		restartedBy(s, filepath.Join(dir, fmt.Sprintf("any%d.txt", i)), "x")
	}
	for _, e := range s.stop() {
		if e.msg() == "deps" && e["error"] != want {
			t.Errorf("a refresh: %v", e)
		}
	}
}

// TestDepsFromSlowRefresh: a new dependency's file written while a slow
// --deps-from refreshes restarts COMMAND when the refresh lands.
func TestDepsFromSlowRefresh(t *testing.T) {
	dir := agedTree(t)
	list := filepath.Join(t.TempDir(), "list")
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	testkit.Write(t, a, "")
	testkit.Write(t, list, "a.txt\n")
	s := startAutoreload(t, dir, "-v", "--deps-from", "sleep 1; cat "+list, "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	s.ready()
	if e := s.await("deps", nil, "changed"); e["count"] != 1.0 {
		t.Fatalf("first deps %v", e)
	}
	testkit.Write(t, list, "a.txt\nb.txt\n") // outside the tree: no change
	restartedBy(s, a, "1")
	testkit.Write(t, b, "new") // while the refresh sleeps
	e := s.next("the refresh")
	if e.msg() != "deps" || e["count"] != 2.0 {
		t.Fatalf("got %v before the refresh landed; log:\n%s", e, s.logText())
	}
	changed := s.await("changed", nil, "started")
	if !slices.Equal(changed.paths(), []string{b}) {
		t.Fatalf("changed %v, want %s", changed.paths(), b)
	}
	s.await("started", nil)
	s.stop()
}

// TestDepsFromChild: a grandchild of COMMAND declares two files; only they
// restart it; a process outside COMMAND's tree cannot add to the set; and
// across a restart nothing is lost: the old declarations count until the
// new ones come, and a change the old set does not hold waits for them.
func TestDepsFromChild(t *testing.T) {
	dir := agedTree(t)
	gate, list := filepath.Join(t.TempDir(), "gate"), filepath.Join(t.TempDir(), "list")
	testkit.Write(t, gate, "")
	a, b, c, d := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "c.txt"), filepath.Join(dir, "d.txt")
	for _, p := range []string{a, b, c, d} {
		testkit.Write(t, p, "")
	}
	testkit.Write(t, list, "a.txt\n"+b+"\n") // relative and absolute
	s := startAutoreload(t, dir, "-v", "--deps-from", "child", "--", helper, "spawn", "spawn", "declare", gate, list)
	_, started := s.readyEvents()
	if e := s.await("deps", nil, "changed"); e["count"] != 2.0 || e["from"] != "child" {
		t.Fatalf("declared %v", e)
	}
	notUsed := func(path string) {
		t.Helper()
		s.await("not used", func(e event) bool { return slices.Contains(e.paths(), path) }, "changed")
	}
	replaceFile(t, c, "1")
	notUsed(c)

	// An outsider: this test, with the socket COMMAND was given.
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(started.pid()) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	var sock string
	for _, kv := range strings.Split(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, "AUTORELOAD_DEPS_SOCKET="); ok {
			sock = v
		}
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial %q: %v", sock, err)
	}
	fmt.Fprintln(conn, c)
	conn.Close()
	if e := s.await("deps refused", nil, "deps"); e.pid() != os.Getpid() {
		t.Errorf("refused %v, want this test's pid %d", e, os.Getpid())
	}
	replaceFile(t, c, "2")
	notUsed(c)

	// Restarts whose new COMMAND has declared nothing yet: the old set
	// counts, and c, which only the new one will declare, waits for it.
	os.Remove(gate)
	testkit.Write(t, list, "a.txt\nb.txt\nc.txt\n")
	restartedBy(s, a, "1")
	restartedBy(s, b, "1")
	replaceFile(t, c, "3")
	testkit.Write(t, gate, "")
	if e := s.await("deps", nil, "changed", "not used"); e["count"] != 3.0 {
		t.Fatalf("declared again %v", e)
	}
	changed := s.await("changed", nil, "started")
	if !slices.Equal(changed.paths(), []string{c}) {
		t.Fatalf("changed %v, want %s", changed.paths(), c)
	}
	s.await("started", nil)
	s.await("deps", nil, "changed")
	replaceFile(t, d, "1")
	notUsed(d)
	s.stop()
}

// TestDepsFromBoundsEdenPolling: on an EdenFS checkout, --reloader stat
// with a --deps-from set is allowed, and the poller, which lists nothing
// there, polls the set's files: an edit to one restarts COMMAND, one to
// another file nothing.
func TestDepsFromBoundsEdenPolling(t *testing.T) {
	dir := edenTree(t)
	other, probe := filepath.Join(dir, "other.go"), filepath.Join(dir, "probe.go")
	testkit.Write(t, other, "package main\n")
	testkit.Write(t, probe, "package main\n")
	s := startAutoreload(t, dir, "--reloader=stat", "--deps-from", "echo main.go; echo probe.go", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	s.ready()
	if e := s.await("deps", nil, "changed"); e["count"] != 2.0 {
		t.Fatalf("deps %v", e)
	}
	// The set's files join the poller's list at its next scan, as they
	// are: edit the probe until that has happened.
	for i := 0; ; i++ {
		replaceFile(t, probe, fmt.Sprintf("package main // %d\n", i))
		if e, ok := s.within(300*time.Millisecond, "changed"); ok {
			if !slices.Equal(e.paths(), []string{probe}) {
				t.Fatalf("changed %v, want the probe", e.paths())
			}
			break
		}
		if i == 50 {
			t.Fatalf("the probe's edits restart nothing; log:\n%s", s.logText())
		}
	}
	s.await("started", nil)
	replaceFile(t, other, "package main // edited\n")
	restartedBy(s, filepath.Join(dir, "main.go"), "package main // edited\n")
	for _, e := range s.stop() {
		if e.msg() == "changed" {
			t.Errorf("another restart: %v", e)
		}
	}
}

// within returns the next event with msg that comes within d, skipping
// others.
func (s *session) within(d time.Duration, msg string) (event, bool) {
	deadline := time.After(d)
	for {
		var e event
		if len(s.unread) > 0 {
			e, s.unread = s.unread[0], s.unread[1:]
		} else {
			select {
			case e = <-s.events:
			case <-deadline:
				return nil, false
			}
		}
		if e.msg() == msg {
			return e, true
		}
	}
}

// TestListWithDepsFrom: --list with --deps-from go prints the files a
// change to which restarts go run ./cmd/a, the replace module's outside
// the tree included, and nothing cmd/a does not use.
func TestListWithDepsFrom(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	parent := goModule(t)
	m := filepath.Join(parent, "m")
	cmd := exec.Command(binary, "--list", "--deps-from", "go", "--", "go", "run", "./cmd/a")
	cmd.Dir, cmd.Env = m, overrideEnv(os.Environ(), goEnv)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("--list: %v", err)
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	want := []string{filepath.Join(parent, "lib", "go.mod"), filepath.Join(parent, "lib", "lib.go"), "cmd/a/main.go", "go.mod", "pa/pa.go"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("--list printed %q, want %q", got, want)
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// edenTree makes a fake EdenFS checkout (a .eden/root link, as Eden shows
// one) holding main.go, aged.
func edenTree(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := mounts.FakeEdenCheckout(dir); err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	watchmantest.AgeFiles(t, spec.FileTime)
	return dir
}

// --reloader stat on an Eden checkout would poll nothing: a usage error
// naming the root and the way out, whether the .eden link or the mount
// type tells the checkout.
func TestEdenStatIsAUsageError(t *testing.T) {
	t.Parallel()
	linked := edenTree(t)
	mounted := t.TempDir()
	for name, tc := range map[string]struct {
		dir string
		env []string
	}{
		"link":  {linked, nil},
		"mount": {mounted, []string{"AUTORELOAD_FAULTS=fstype=" + mounted + ":fuse.edenfs"}},
	} {
		var stderr bytes.Buffer
		cmd := exec.Command(binary, "--reloader=stat", "--on-exit=exit", "--", "true")
		cmd.Dir, cmd.Stderr = tc.dir, &stderr
		cmd.Env = append(os.Environ(), tc.env...)
		err := cmd.Run()
		var ee *exec.ExitError
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(lines) != 1 ||
			!strings.Contains(lines[0], "EdenFS checkout") || !strings.Contains(lines[0], "watchman watch-project "+tc.dir) {
			t.Errorf("%s: %v, stderr %q; want exit 2 and one line with the hint", name, err, stderr.String())
		}
	}
}

// Without Watchman, autoreload on an Eden checkout says once why, crawls
// nothing (so an edit restarts nothing), and once a daemon answers it
// restarts COMMAND once for the unknown outage and watches again.
func TestEdenWithoutWatchmanWaitsForIt(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	d.Kill() // the socket stays; nothing answers it
	dir := edenTree(t)
	s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock}, "--reloader=auto",
		"--watchman-timeout=1s", "--watchman-retry=300ms", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	w, _ := s.readyEvents()
	if w["reloader"] != "stat" {
		t.Fatalf("watching %v, want stat; log:\n%s", w, s.logText())
	}
	replaceFile(t, filepath.Join(dir, "main.go"), "package main // edited\n")
	quiet(s, "an edit while nothing watches the checkout", 2*time.Second)
	if n := strings.Count(s.logText(), `"msg":"eden checkout"`); n != 1 {
		t.Fatalf("%d eden checkout lines, want 1; log:\n%s", n, s.logText())
	}
	if !strings.Contains(s.logText(), "watchman watch-project "+dir) {
		t.Errorf("the hint does not name the root; log:\n%s", s.logText())
	}

	d.Restart()
	// The restart and the switch back run side by side: their lines come
	// in either order.
	var watching, unknown, restarted bool
	for !watching || !restarted {
		e := s.next("watching watchman and one restart for the outage")
		switch e.msg() {
		case "changed":
			if unknown || e["unknown"] != true {
				t.Fatalf("unexpected %v, want one unknown change; log:\n%s", e, s.logText())
			}
			unknown = true
		case "started":
			if !unknown {
				t.Fatalf("started before the unknown change; log:\n%s", s.logText())
			}
			restarted = true
		case "watching":
			if e["reloader"] != "watchman" {
				t.Fatalf("unexpected %v; log:\n%s", e, s.logText())
			}
			watching = true
		}
	}
	edited := filepath.Join(dir, "lib.go")
	restartedBy(s, edited, "package main\n")
	if n := strings.Count(s.logText(), `"msg":"eden checkout"`); n != 1 {
		t.Errorf("%d eden checkout lines, want 1; log:\n%s", n, s.logText())
	}
	s.stop()
}

// A checkout the mount table tells (fuse.edenfs, no .eden link) is not
// crawled either.
func TestEdenMountWithoutWatchmanCrawlsNothing(t *testing.T) {
	t.Parallel()
	dir := agedTree(t)
	s := startAutoreloadEnv(t, dir, []string{"AUTORELOAD_FAULTS=fstype=" + dir + ":fuse.edenfs"},
		"--reloader=auto", "--watchman-timeout=1s", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	if w, _ := s.readyEvents(); w["reloader"] != "stat" {
		t.Fatalf("watching %v, want stat; log:\n%s", w, s.logText())
	}
	replaceFile(t, filepath.Join(dir, "main.go"), "package main // edited\n")
	quiet(s, "an edit while nothing watches the checkout", time.Second)
	if n := strings.Count(s.logText(), `"msg":"eden checkout"`); n != 1 {
		t.Fatalf("%d eden checkout lines, want 1; log:\n%s", n, s.logText())
	}
	s.stop()
}

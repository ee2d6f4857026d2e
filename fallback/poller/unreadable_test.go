package poller

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// TestPollerWarnsOnceOfAnUnreadableDir: a directory the poller cannot
// open hides its changes, so the user is told once, by name, however many
// scans it stays unreadable; it is picked up when readable again, and a
// new episode is warned about again.
func TestPollerWarnsOnceOfAnUnreadableDir(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "", "locked/b.go": ""})
	var log bytes.Buffer
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Logger: testLogger(&log)})
	locked := filepath.Join(dir, "locked")
	var denied atomic.Bool
	p.onOpen = func(d string) error {
		if d == locked && denied.Load() {
			return unix.EACCES // as root, chmod 0 would not stop us
		}
		return nil
	}
	denied.Store(true)
	scanNow(t, p)
	expectQuiet(t, p, dir, 3)
	warnings := func() int {
		n := 0
		for _, line := range strings.Split(log.String(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, locked) {
				n++
			}
		}
		return n
	}
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings naming %s over 4 scans, want 1; log:\n%s", n, locked, log.String())
	}
	denied.Store(false)
	expect(t, dir, scanNow(t, p), map[string]bool{"locked/b.go": true})
	expectQuiet(t, p, dir, 1)
	denied.Store(true)
	expectQuiet(t, p, dir, 2)
	if n := warnings(); n != 2 {
		t.Fatalf("%d warnings after it became unreadable again, want 2; log:\n%s", n, log.String())
	}
}

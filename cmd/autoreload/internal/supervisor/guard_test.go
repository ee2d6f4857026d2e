//go:build linux

package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
)

// TestGuardIsNoHelper: COMMAND's parent is its guard, which carries no
// AUTORELOAD_HELPER_OF (so the reaper never spares it as a daemon of the
// supervisor's own helpers) and no AUTORELOAD_ROLE left for COMMAND.
func TestGuardIsNoHelper(t *testing.T) {
	file := filepath.Join(t.TempDir(), "parent")
	s := New(child(t, "parent", file))
	runAsync(t, s)
	deadline := time.Now().Add(waitLimit)
	var data []byte
	for len(data) == 0 || !strings.Contains(string(data), "\x00") {
		if time.Now().After(deadline) {
			t.Fatalf("COMMAND wrote no %s within %v", file, waitLimit)
		}
		time.Sleep(5 * time.Millisecond)
		data, _ = os.ReadFile(file)
	}
	lines := strings.SplitN(string(data), "\n", 4)
	self, _ := strconv.Atoi(lines[0])
	guardPid, _ := strconv.Atoi(lines[1])
	if lines[2] != guard.Comm {
		t.Fatalf("COMMAND's parent is %q, want its guard %q", lines[2], guard.Comm)
	}
	if strings.Contains("\x00"+lines[3], "\x00"+helperVar+"=") {
		t.Errorf("the guard's environment has %s", helperVar)
	}
	if (&reaper{self: os.Getpid()}).isHelper(guardPid) {
		t.Error("the reaper takes the guard for a helper's daemon")
	}
	own, err := os.ReadFile("/proc/" + strconv.Itoa(self) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains("\x00"+string(own), "\x00"+"AUTORELOAD_ROLE"+"=") {
		t.Errorf("COMMAND's environment has %s", "AUTORELOAD_ROLE")
	}
}

package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

func TestEnvironMarksCommandAndCapsChanged(t *testing.T) {
	changed := make([]string, maxChanged+5)
	for i := range changed {
		changed[i] = fmt.Sprintf("/src/f%d.go", i)
	}
	env := environ([]string{"PATH=/bin", "AUTORELOAD_ENV=false", "AUTORELOAD_CHANGED=/old", helperVar + "=1"}, changed)
	if !slices.Contains(env, "PATH=/bin") || !slices.Contains(env, "AUTORELOAD_ENV=true") || slices.Contains(env, "AUTORELOAD_ENV=false") ||
		slices.Contains(env, helperVar+"=1") {
		t.Fatalf("environ = %q", env[:3])
	}
	var got string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AUTORELOAD_CHANGED="); ok {
			if got != "" {
				t.Fatal("AUTORELOAD_CHANGED twice")
			}
			got = v
		}
	}
	if lines := strings.Split(got, "\n"); len(lines) != maxChanged || lines[0] != "/src/f0.go" {
		t.Errorf("AUTORELOAD_CHANGED has %d lines starting %q, want %d from /src/f0.go", len(lines), lines[0], maxChanged)
	}
}

func TestExitStatusAttributes(t *testing.T) {
	if got := fmt.Sprint(statusAttrs(proctree.Status{Code: 3})); got != "[code 3]" {
		t.Errorf("attrs = %s", got)
	}
	if got := fmt.Sprint(statusAttrs(proctree.Status{Code: -1, Signal: 15})); got != "[signal SIGTERM]" {
		t.Errorf("attrs = %s", got)
	}
	if got := (proctree.Status{Code: -1, Signal: 9}).ExitCode(); got != 137 {
		t.Errorf("exitCode by SIGKILL = %d, want 137", got)
	}
}

// TestHugeChangedListStillStarts: 1,000 long paths would make one 250 KiB
// environment string, which Linux refuses to exec (E2BIG); the list is cut
// to fit and COMMAND starts.
func TestHugeChangedListStillStarts(t *testing.T) {
	changed := make([]string, maxChanged)
	for i := range changed {
		changed[i] = fmt.Sprintf("/src/%s/f%04d.go", strings.Repeat("deep/", 48), i)
	}
	env := environ([]string{"PATH=" + os.Getenv("PATH")}, changed)
	cmd := exec.Command("sh", "-c", `printf '%s\n' "$AUTORELOAD_CHANGED"`)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("COMMAND with 1,000 long changed paths: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(out) > maxChangedBytes+1 || len(lines) < 100 || lines[0] != changed[0] || lines[len(lines)-1] != changed[len(lines)-1] {
		t.Errorf("AUTORELOAD_CHANGED: %d bytes, %d lines from %q; want the first paths that fit in %d bytes",
			len(out), len(lines), lines[0], maxChangedBytes)
	}
}

func TestChangedListLeavesOutNewlines(t *testing.T) {
	got := changedList([]string{"/src/a.go", "/src/odd\nname.go", "/src/b.go"})
	if got != "/src/a.go\n/src/b.go" {
		t.Errorf("changedList = %q, want the two paths without a newline", got)
	}
	if got := changedList(nil); got != "" {
		t.Errorf("changedList(nil) = %q, want empty", got)
	}
}

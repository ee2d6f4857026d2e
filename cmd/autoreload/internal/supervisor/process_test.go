package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
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
	if got := fmt.Sprint(exitStatus{code: 3}.attrs()); got != "[code 3]" {
		t.Errorf("attrs = %s", got)
	}
	if got := fmt.Sprint(exitStatus{code: -1, signal: 15}.attrs()); got != "[signal SIGTERM]" {
		t.Errorf("attrs = %s", got)
	}
	if got := (exitStatus{code: -1, signal: 9}).exitCode(); got != 137 {
		t.Errorf("exitCode by SIGKILL = %d, want 137", got)
	}
}

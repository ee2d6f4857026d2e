//go:build linux

package main

import (
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/jobshell"
)

// Job control: autoreload under a minimal job-control shell (package
// jobshell: this test binary run again) on a pseudo-terminal. The
// scenarios are tested in the supervisor's package (jobcontrol_test.go
// there); this is their one test through the binary.

func init() { jobshell.Main() }

// startJobShell starts the job shell, which starts autoreload (with flags)
// in the foreground, or in the background with mode "bg", with COMMAND
// `sh -c SCRIPT sh OUT`.
func startJobShell(t *testing.T, mode, script string, flags ...string) *jobshell.Session {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	argv := append(append([]string{binary, "--reloader=stat"}, flags...), "--", "sh", "-c", script, "sh", out)
	return jobshell.Start(t, mode, out, nil, argv...)
}

// TestCtrlZStopsTheJob runs autoreload as a job-control shell would, in a
// process group of its own holding the terminal, with a COMMAND that
// reads the terminal. Ctrl-Z must stop the job, autoreload included, and
// leave the terminal to the shell; bg continues COMMAND in the background,
// where reading stops the job again (SIGTTIN); fg gives COMMAND the
// terminal again; Ctrl-C then ends everything with exit 0.
func TestCtrlZStopsTheJob(t *testing.T) {
	t.Parallel()
	startJobShell(t, "fg", jobshell.ReadLines).CtrlZBgFg(t)
}

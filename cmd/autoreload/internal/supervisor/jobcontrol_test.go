//go:build linux

package supervisor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/jobshell"
)

// The job-control scenarios: a Supervisor (this test binary run again,
// superviseMain) run as a job by a minimal job-control shell (package
// jobshell) on a pseudo-terminal, with a COMMAND that reads the terminal.
// (cmd/autoreload keeps one end-to-end test of this, TestCtrlZStopsTheJob.)

// startJob starts the job shell, which starts a Supervisor of `sh -c
// SCRIPT sh OUT` in the foreground, or in the background with mode "bg".
func startJob(t *testing.T, mode, script string) *jobshell.Session {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	return jobshell.Start(t, mode, out, []string{superviseVar + "=1"}, self, "sh", "-c", script, "sh", out)
}

// TestCtrlZStopsTheJob: the Supervisor runs in a process group of its own
// holding the terminal, as a job-control shell runs a job. Ctrl-Z must
// stop the job, the Supervisor included, and leave the terminal to the
// shell; bg continues COMMAND in the background, where reading stops the
// job again (SIGTTIN); fg gives COMMAND the terminal again; Ctrl-C then
// ends everything with exit 0.
func TestCtrlZStopsTheJob(t *testing.T) {
	startJob(t, "fg", jobshell.ReadLines).CtrlZBgFg(t)
}

// TestStartedInBackground: a Supervisor started with & leaves the terminal
// to the shell; a COMMAND that reads it stops the job (SIGTTIN) rather
// than COMMAND alone, and fg gives it the terminal.
func TestStartedInBackground(t *testing.T) {
	js := startJob(t, "bg", jobshell.ReadLines)
	js.Next(t, "stopped SIGTTIN")
	js.CheckStopped(t)
	js.Command(t, "fg")
	js.Reads(t, "hello", 1)
	js.Interrupt(t)
}

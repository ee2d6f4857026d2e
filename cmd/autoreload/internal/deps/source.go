package deps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Source answers what COMMAND uses.
type Source interface {
	// Name is the --deps-from value, for messages.
	Name() string
	// Load runs the source once.
	Load(ctx context.Context) (*Set, error)
}

// RunError is a source's command that failed: it names the command, how
// it ended (exit 1, signal SIGKILL) and its last line on stderr, or why
// its answer was refused.
type RunError struct {
	Command string
	Exit    string // "exit 1", "signal SIGKILL"; "" when it exited 0
	Stderr  string // the last non-blank line
	Err     error  // what was wrong with the answer, or why it could not run
}

func (e *RunError) Error() string {
	var b strings.Builder
	b.WriteString(e.Command)
	if e.Exit != "" {
		b.WriteString(": " + e.Exit)
	}
	if e.Err != nil && e.Exit == "" {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Stderr != "" {
		b.WriteString(": " + e.Stderr)
	}
	return b.String()
}

func (e *RunError) Unwrap() error { return e.Err }

// waitDelay bounds the wait for a killed command's output to end (a
// grandchild holding its stdout).
const waitDelay = 2 * time.Second

// run runs argv in dir with env and returns its stdout; a failure is a
// *RunError named display. The command stays in autoreload's process
// group: the supervisor reaps only children outside it, so the status is
// this Wait's, and it is never taken for COMMAND's.
func run(ctx context.Context, display string, argv []string, dir string, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	var stdout bytes.Buffer
	stderr := &tail{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.SysProcAttr = procAttr()
	cmd.Cancel = func() error { return killTree(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	re := &RunError{Command: display, Stderr: stderr.last(), Err: err}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			re.Exit = "signal " + unix.SignalName(ws.Signal())
		} else {
			re.Exit = fmt.Sprintf("exit %d", exit.ExitCode())
		}
	}
	return nil, re
}

// tail keeps the end of what is written to it: enough for a last line.
type tail struct{ buf []byte }

const tailSize = 4096

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailSize {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) last() string {
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Shell is a --deps-from command line, run with `sh -c`.
type Shell struct {
	Command string
	Dir     string   // the working directory; relative paths are from it
	Env     []string // COMMAND's environment
}

func (s *Shell) Name() string { return s.Command }

func (s *Shell) Load(ctx context.Context) (*Set, error) {
	out, err := run(ctx, s.Command, []string{"sh", "-c", s.Command}, s.Dir, s.Env)
	if err != nil {
		return nil, err
	}
	set, err := Parse(bytes.NewReader(out), s.Dir)
	if err != nil {
		return nil, &RunError{Command: s.Command, Err: err}
	}
	return set, nil
}

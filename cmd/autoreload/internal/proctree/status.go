package proctree

import "syscall"

// Status is how a process ended: an exit code, or a signal.
type Status struct {
	Code   int            // -1 when killed by a signal
	Signal syscall.Signal // non-zero when killed by a signal
}

// StatusOf reads a wait status.
func StatusOf(ws syscall.WaitStatus) Status {
	if ws.Signaled() {
		return Status{Code: -1, Signal: ws.Signal()}
	}
	return Status{Code: ws.ExitStatus()}
}

// ExitCode is the code a shell would report: 128+N for signal N.
func (s Status) ExitCode() int {
	if s.Signal != 0 {
		return 128 + int(s.Signal)
	}
	return s.Code
}

// OK reports an exit with code 0.
func (s Status) OK() bool { return s.Signal == 0 && s.Code == 0 }

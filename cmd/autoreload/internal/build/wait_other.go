//go:build !linux

package build

import "syscall"

// awaitExit blocks until the leader ends and reaps it: without waitid's
// WNOWAIT the end cannot be learnt otherwise, so nothing is held.
func awaitExit(pid int) exit {
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || got != pid {
			return exit{code: -1, reaped: true}
		}
		return statusOf(ws)
	}
}

func reap(pid int, e exit) exit { return e }

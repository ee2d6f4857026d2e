package build

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// awaitExit blocks until the leader ends, without reaping it.
func awaitExit(pid int) exit {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // reaped by someone else: nothing is held
			return exit{code: -1}
		}
		return exit{held: true}
	}
}

// reap collects the leader's status.
func reap(pid int, e exit) exit {
	if e.reaped || !e.held {
		return e
	}
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || got != pid {
			return exit{code: -1}
		}
		break
	}
	return statusOf(ws)
}

package build

import "syscall"

// procAttr puts the build in a process group of its own, and has the
// kernel kill its shell should autoreload die without a chance to stop it
// (SIGKILL): the build has no guard, as COMMAND has.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

package watchmantest

import "syscall"

// procAttr puts the daemon in a process group of its own (a Ctrl-C meant
// for the test run does not reach it first, and Cleanup stays in charge of
// ending it) and has the kernel kill it when the test binary dies without
// its Cleanup (a -timeout panic, a SIGKILL), which would orphan it. The
// death signal follows the thread that started the daemon; the Go runtime
// ends no thread of its own unless a goroutine exits locked to it, which
// nothing here does.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

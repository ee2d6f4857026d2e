package deps

import "syscall"

// procAttr has the kernel kill the command should autoreload die without
// a chance to stop it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

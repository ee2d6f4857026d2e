//go:build !linux

package watchmantest

import "syscall"

// procAttr puts the daemon in a process group of its own; elsewhere than
// Linux a test binary that dies without its Cleanup leaves it running.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

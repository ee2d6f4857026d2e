//go:build !linux

package deps

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }

// killTree kills the command; elsewhere than Linux what it started is not
// looked for.
func killTree(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

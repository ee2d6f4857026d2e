//go:build !linux

package build

import "syscall"

// procAttr puts the build in a process group of its own.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

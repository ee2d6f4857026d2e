//go:build !linux

package deps

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }

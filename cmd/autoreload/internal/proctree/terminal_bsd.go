//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package proctree

import "syscall"

const (
	getTermios = syscall.TIOCGETA
	setTermios = syscall.TIOCSETA
)

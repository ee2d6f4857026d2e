//go:build !linux

package proctree

import (
	"os"
	"syscall"
)

// BecomeSubreaper does nothing: only Linux has subreapers.
func BecomeSubreaper() {}

// ReadStat knows only the calling process here: no /proc.
func ReadStat(pid int) (Stat, bool) {
	if pid != os.Getpid() {
		return Stat{}, false
	}
	return Stat{Pid: pid, PPid: os.Getppid(), Pgid: syscall.Getpgrp(), State: 'R'}, true
}

// Snapshot is empty: no /proc.
func Snapshot() []Stat { return nil }

// Parent is the calling process's parent; 0 for others, unknown here.
func Parent(pid int) int {
	p, _ := ReadStat(pid)
	return p.PPid
}

// IgnoresSignal cannot tell here: no /proc.
func IgnoresSignal(int, syscall.Signal) bool { return false }

package proctree

import (
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// SetForeground makes pgid the foreground process group of the terminal
// open on fd. A background group that sets the foreground gets SIGTTOU
// unless it ignores it; it is ignored only for this call, since a child
// started later would inherit an ignored disposition.
func SetForeground(fd, pgid int) {
	signal.Ignore(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, pgid)
	signal.Reset(syscall.SIGTTOU)
}

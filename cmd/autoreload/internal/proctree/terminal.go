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

// RestoreEcho turns echo back on for the terminal open on fd when a
// program left it off (one killed while reading a password), as Django's
// ensure_echo_on does; it may be called from a background group.
func RestoreEcho(fd int) {
	tio, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil || tio.Lflag&unix.ECHO != 0 {
		return
	}
	tio.Lflag |= unix.ECHO
	signal.Ignore(syscall.SIGTTOU)
	_ = unix.IoctlSetTermios(fd, setTermios, tio)
	signal.Reset(syscall.SIGTTOU)
}

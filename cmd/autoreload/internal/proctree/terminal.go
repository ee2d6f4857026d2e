package proctree

import (
	"os/signal"
	"syscall"
	"unsafe"
)

// SetForeground makes pgid the foreground process group of the terminal
// open on fd. A background group that sets the foreground gets SIGTTOU
// unless it ignores it; it is ignored only for this call, since a child
// started later would inherit an ignored disposition.
func SetForeground(fd, pgid int) {
	signal.Ignore(syscall.SIGTTOU)
	pgrp := int32(pgid) // a pid_t
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&pgrp)))
	signal.Reset(syscall.SIGTTOU)
}

// RestoreEcho turns echo back on for the terminal open on fd when a
// program left it off (one killed while reading a password), as Django's
// ensure_echo_on does; it may be called from a background group.
func RestoreEcho(fd int) {
	var tio syscall.Termios
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), getTermios, uintptr(unsafe.Pointer(&tio))); errno != 0 ||
		tio.Lflag&syscall.ECHO != 0 {
		return
	}
	tio.Lflag |= syscall.ECHO
	signal.Ignore(syscall.SIGTTOU)
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), setTermios, uintptr(unsafe.Pointer(&tio)))
	signal.Reset(syscall.SIGTTOU)
}

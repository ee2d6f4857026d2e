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

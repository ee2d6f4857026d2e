package supervisor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// terminal is the supervisor's controlling terminal. COMMAND runs in a process group of its own, so without the
// foreground it would be stopped by SIGTTIN or SIGTTOU as soon as it reads
// the terminal or changes its modes (a debugger prompt, a REPL).
type terminal struct {
	fd   int
	pgrp int // the supervisor's own group, which gets the terminal back
	// background is set when the job was continued in the background (the
	// shell's bg): the terminal is the shell's until the supervisor finds
	// its group in the foreground again, and must not be taken from it.
	background bool
}

// controllingTerminal returns the terminal on f when it is the supervisor's
// controlling terminal, and nil otherwise. Started in the background (with
// &), the supervisor leaves the terminal to the shell until the job is
// brought to the foreground and COMMAND needs it.
func controllingTerminal(f *os.File) *terminal {
	if f == nil {
		return nil
	}
	fd := int(f.Fd())
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP) // fails unless it is ours
	if err != nil {
		return nil
	}
	pgrp := syscall.Getpgrp()
	return &terminal{fd: fd, pgrp: pgrp, background: fg != pgrp}
}

// startsInForeground reports whether the new COMMAND's group is to take
// the foreground before COMMAND is executed (its guard, the group's
// leader, sets it), so it never runs a moment in the background. Started
// in the background, as the job is, it does not.
func (t *terminal) startsInForeground() bool {
	return t != nil && t.inForeground()
}

// take gives the foreground back to the supervisor: before a stop, so that a
// second Ctrl-C reaches the supervisor, and after COMMAND ended.
func (t *terminal) take() {
	if !t.held() {
		return
	}
	proctree.SetForeground(t.fd, t.pgrp)
}

// restoreEcho turns echo back on when COMMAND left it off.
func (t *terminal) restoreEcho() {
	if t.held() {
		proctree.RestoreEcho(t.fd)
	}
}

// foreground is the terminal's foreground process group, or -1.
func (t *terminal) foreground() int {
	fg, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP)
	if err != nil {
		return -1
	}
	return fg
}

// inForeground reports whether the supervisor's own group is the
// terminal's foreground group.
func (t *terminal) inForeground() bool {
	if t.foreground() != t.pgrp {
		return false
	}
	t.background = false
	return true
}

// held reports whether the terminal is the supervisor's to take and set:
// either it is in the foreground, or it gave the foreground to COMMAND
// and was not sent to the background since.
func (t *terminal) held() bool {
	return t != nil && (!t.background || t.inForeground())
}

// give makes pgid, COMMAND's group, the foreground group.
func (t *terminal) give(pgid int) { proctree.SetForeground(t.fd, pgid) }

// Package tty is what autoreload asks of a terminal and does to it: whether
// a file is one, cbreak mode and its exact restore, and the sequences that
// clear the screen. It changes a terminal only when asked, and every change
// comes with the state that undoes it.
package tty

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal: one that answers the
// terminal's own request for its modes, not any character device.
func IsTerminal(f *os.File) bool {
	fd, ok := FD(f)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(fd, getTermios)
	return err == nil
}

// FD is f's descriptor, valid while f is open. Unlike f.Fd it leaves a
// non-blocking descriptor non-blocking, so that reads on f can still be
// interrupted by a deadline or Close.
func FD(f *os.File) (fd int, ok bool) {
	if f == nil {
		return -1, false
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, false
	}
	if sc.Control(func(u uintptr) { fd = int(u) }) != nil {
		return -1, false
	}
	return fd, true
}

// ErrNotTerminal is the error of Cbreak on a file that is no terminal.
var ErrNotTerminal = errors.New("not a terminal")

// State is a terminal's modes as they were, for Restore.
type State struct {
	fd  int
	tio unix.Termios
}

// Cbreak turns off line buffering and echo on the terminal on fd, so single
// key presses can be read as they are typed, and returns the modes before.
// Ctrl-C and Ctrl-\ still send their signals; Ctrl-Z is read as a key
// (0x1a), so that the reader can set the modes back before it stops.
func Cbreak(fd int) (*State, error) {
	tio, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		return nil, ErrNotTerminal
	}
	old := *tio
	tio.Cc[unix.VSUSP] = vdisable
	tio.Lflag &^= unix.ICANON | unix.ECHO
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := setModes(fd, tio); err != nil {
		return nil, err
	}
	return &State{fd: fd, tio: old}, nil
}

// Restore sets the modes back as they were before Cbreak.
func (s *State) Restore() error {
	tio := s.tio
	return setModes(s.fd, &tio)
}

// setModes sets modes with SIGTTOU ignored for the call: a process group
// that is not in the foreground would otherwise be stopped by it. TCSETS
// waits for nothing: typed input that was not read stays.
func setModes(fd int, tio *unix.Termios) error {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	return unix.IoctlSetTermios(fd, setTermios, tio)
}

// InForeground reports whether the caller's process group is the
// foreground group of the terminal on fd: only then are its keys ours.
func InForeground(fd int) bool {
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && fg == syscall.Getpgrp()
}

// ClearMode is how to clear the screen.
type ClearMode int

const (
	ClearScreen ClearMode = iota // home, erase the screen and the scrollback
	ClearReset                   // reset the terminal (ESC c), as watchexec -c reset
)

// Clear sequences: ESC[H ESC[2J ESC[3J (home, screen, scrollback) and
// ESC c (a full reset, for terminals left in a bad state).
const (
	clearScreen = "\x1b[H\x1b[2J\x1b[3J"
	clearReset  = "\x1bc"
)

// Clearer returns a function that clears the terminal f by mode, or one
// that does nothing when f is no terminal: a log piped to a file gets no
// escapes.
func Clearer(f *os.File, mode ClearMode) func() {
	if !IsTerminal(f) {
		return func() {}
	}
	return func() { writeClear(f, mode) }
}

func writeClear(w io.Writer, mode ClearMode) {
	seq := clearScreen
	if mode == ClearReset {
		seq = clearReset
	}
	_, _ = io.WriteString(w, seq) // a terminal gone: nothing to clear
}

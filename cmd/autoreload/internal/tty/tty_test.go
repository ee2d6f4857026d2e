package tty

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

func TestIsTerminal(t *testing.T) {
	_, slave := openPTY(t)
	if !IsTerminal(slave) {
		t.Error("a pty's slave is not a terminal")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(null) {
		t.Error("/dev/null, a character device, taken for a terminal")
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) || IsTerminal(nil) {
		t.Error("a pipe or nil taken for a terminal")
	}
}

func TestCbreakAndRestore(t *testing.T) {
	_, slave := openPTY(t)
	fd := int(slave.Fd())
	before, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Cbreak(fd)
	if err != nil {
		t.Fatal(err)
	}
	during, _ := unix.IoctlGetTermios(fd, getTermios)
	if during.Lflag&(unix.ICANON|unix.ECHO) != 0 || during.Lflag&unix.ISIG == 0 {
		t.Errorf("cbreak lflag %#x: want ICANON and ECHO off, ISIG on", during.Lflag)
	}
	if during.Cc[unix.VSUSP] != vdisable || during.Cc[unix.VINTR] != before.Cc[unix.VINTR] {
		t.Errorf("cbreak: VSUSP %#x, VINTR %#x: want Ctrl-Z a key, Ctrl-C a signal", during.Cc[unix.VSUSP], during.Cc[unix.VINTR])
	}
	if err := st.Restore(); err != nil {
		t.Fatal(err)
	}
	after, _ := unix.IoctlGetTermios(fd, getTermios)
	if *after != *before {
		t.Errorf("modes after restore %+v, want %+v", *after, *before)
	}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	if _, err := Cbreak(int(null.Fd())); err != ErrNotTerminal {
		t.Errorf("Cbreak(/dev/null) = %v, want ErrNotTerminal", err)
	}
}

func TestClearerWritesOnlyToATerminal(t *testing.T) {
	master, slave := openPTY(t)
	Clearer(slave, ClearScreen)()
	Clearer(slave, ClearReset)()
	want := clearScreen + clearReset
	got := make([]byte, 0, len(want))
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for len(got) < len(want) {
		n, err := master.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read %q, then %v", got, err)
		}
	}
	if string(got) != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}

	r, w, _ := os.Pipe()
	defer r.Close()
	Clearer(w, ClearScreen)()
	w.Close()
	if b, _ := io.ReadAll(r); !bytes.Equal(b, nil) && len(b) > 0 {
		t.Errorf("a pipe got %q, want nothing", b)
	}
}

package keys

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

const waitLimit = 30 * time.Second

// The tests run this binary again as a program whose controlling terminal
// is a new pty (helperMain), and type on the pty's master.
func TestMain(m *testing.M) {
	if os.Getenv("KEYS_TEST_HELPER") == "1" {
		helperMain()
		return
	}
	os.Exit(m.Run())
}

// helperMain opens the controlling terminal and reports, one line each on
// stdout, "ready", every key until q, then whether Next returns after ctx
// ends and after Close.
func helperMain() {
	r, err := Open("/dev/tty", nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		k, err := r.Next(context.Background())
		if err != nil {
			fmt.Println("next:", err)
			os.Exit(1)
		}
		fmt.Printf("key %q\n", k)
		if k == 'q' {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Next(ctx)
	fmt.Println("cancelled:", errors.Is(err, context.Canceled))
	ended := make(chan error, 1)
	go func() { _, err := r.Next(context.Background()); ended <- err }()
	time.Sleep(50 * time.Millisecond) // let Next block; Close must end it either way
	if err := r.Close(); err != nil {
		fmt.Println("close:", err)
	}
	fmt.Println("closed:", errors.Is(<-ended, os.ErrClosed))
}

type helper struct {
	master, slave *os.File
	lines         chan string
	cmd           *exec.Cmd
}

func startHelper(t *testing.T) *helper {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "KEYS_TEST_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stderr = slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{master: master, slave: slave, lines: make(chan string, 100), cmd: cmd}
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	go func() { // the terminal's output must be read for writers to go on
		b := make([]byte, 1024)
		for {
			if _, err := master.Read(b); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		master.Close()
		slave.Close()
	})
	h.expect(t, "ready")
	return h
}

func (h *helper) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got, ok := <-h.lines:
		if !ok {
			t.Fatalf("helper ended, want %q", want)
		}
		if got != want {
			t.Fatalf("helper says %q, want %q", got, want)
		}
	case <-time.After(waitLimit):
		t.Fatalf("helper: no %q within %v", want, waitLimit)
	}
}

func (h *helper) modes(t *testing.T) *unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(h.slave.Fd()), getTermios)
	if err != nil {
		t.Fatal(err)
	}
	return tio
}

// TestKeysOneAtATime: keys arrive as typed, without Enter, escape
// sequences are dropped whole, Ctrl-Z is no key, and the modes are back
// after Close.
func TestKeysOneAtATime(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	before, _ := unix.IoctlGetTermios(int(slave.Fd()), getTermios)
	master.Close()
	slave.Close()

	h := startHelper(t)
	if m := h.modes(t); m.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Errorf("lflag %#x while reading keys: want ICANON and ECHO off", m.Lflag)
	}
	h.master.Write([]byte("r"))
	h.expect(t, `key 'r'`)
	h.master.Write([]byte("\x1b[A")) // an arrow: no '[' nor 'A'
	h.master.Write([]byte("p"))
	h.expect(t, `key 'p'`)
	// Ctrl-Z is no key: the helper, a session leader, is in an orphaned
	// group, where the stop is discarded and reading goes on at once.
	h.master.Write([]byte("\x1ax"))
	h.expect(t, `key 'x'`)
	if m := h.modes(t); m.Lflag&unix.ICANON != 0 {
		t.Errorf("lflag %#x after Ctrl-Z in an orphaned group: want cbreak again", m.Lflag)
	}
	h.master.Write([]byte("q"))
	h.expect(t, `key 'q'`)
	h.expect(t, "cancelled: true")
	h.expect(t, "closed: true")
	after := h.modes(t)
	if after.Lflag != before.Lflag || after.Cc != before.Cc {
		t.Errorf("modes after Close: lflag %#x cc %v, want those of a new pty: %#x %v",
			after.Lflag, after.Cc, before.Lflag, before.Cc)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
}

// TestCbreakAgainAfterContinue: a shell sets its own modes while the
// reader is stopped; continued in the foreground, keys work again.
func TestCbreakAgainAfterContinue(t *testing.T) {
	h := startHelper(t)
	pid := h.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "T")
	m := h.modes(t)
	m.Lflag |= unix.ICANON | unix.ECHO // what the shell does
	if err := unix.IoctlSetTermios(int(h.slave.Fd()), setTermios, m); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGCONT)
	deadline := time.Now().Add(waitLimit)
	for h.modes(t).Lflag&unix.ICANON != 0 {
		if time.Now().After(deadline) {
			t.Fatal("still in canonical mode after SIGCONT")
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: the modes are polled
	}
	h.master.Write([]byte("q")) // no Enter: cbreak again
	h.expect(t, `key 'q'`)
}

// waitState waits for /proc to show pid in state (a letter); elsewhere
// than Linux, for a moment.
func waitState(t *testing.T, pid int, state string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		p, ok := proctree.ReadStat(pid)
		if !ok {
			time.Sleep(100 * time.Millisecond)
			return
		}
		if string(p.State) == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not in state %s after %v", pid, state, waitLimit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRefusedWithoutTheForeground: a terminal that is not the caller's
// controlling terminal (so not in its foreground) is not read, and its
// modes stay as they are.
func TestRefusedWithoutTheForeground(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	defer master.Close()
	defer slave.Close()
	before, _ := unix.IoctlGetTermios(int(slave.Fd()), getTermios)
	if _, err := Open(slave.Name(), nil); !errors.Is(err, ErrBackground) {
		t.Errorf("Open(%s) = %v, want ErrBackground", slave.Name(), err)
	}
	if after, _ := unix.IoctlGetTermios(int(slave.Fd()), getTermios); *after != *before {
		t.Error("modes changed by a refused Open")
	}
	if _, err := Open(os.DevNull, nil); err == nil {
		t.Error("Open(/dev/null) succeeded")
	}
}

func TestWithoutEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"rpq":              "rpq",
		"\x1b[Ap":          "p",
		"a\x1bOPb":         "ab",
		"\x1b[15~r":        "r",
		"\x1brq":           "q",
		"\x1b":             "",
		"x\x1b[1;5":        "x",
		"\x1b[1;5Dq\x1bOA": "q",
	} {
		if got := string(withoutEscapes([]byte(in))); got != want {
			t.Errorf("withoutEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

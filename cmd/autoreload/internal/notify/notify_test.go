package notify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestTerminalEscapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"osc 777", nil, "\x1b]777;notify;autoreload;build failed (exit 2)\x07"},
		{"iterm2", map[string]string{"TERM_PROGRAM": "iTerm.app"}, "\x1b]9;autoreload: build failed (exit 2)\x07"},
		{"iterm2 over ssh", map[string]string{"LC_TERMINAL": "iTerm2"}, "\x1b]9;autoreload: build failed (exit 2)\x07"},
		{"kitty", map[string]string{"TERM": "xterm-kitty"}, "\x1b]9;autoreload: build failed (exit 2)\x07"},
		{"tmux", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"},
			"\x1bPtmux;\x1b\x1b]777;notify;autoreload;build failed (exit 2)\x07\x1b\\"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w bytes.Buffer
			Terminal(&w, env(tc.env)).Send("autoreload", "build failed (exit 2)")
			if w.String() != tc.want {
				t.Errorf("wrote %q, want %q", w.String(), tc.want)
			}
		})
	}
}

// TestTextCannotEndTheEscape: a file name with BEL, ESC or ';' cannot end
// the sequence early or add fields.
func TestTextCannotEndTheEscape(t *testing.T) {
	var w bytes.Buffer
	Terminal(&w, env(nil)).Send("a;b", "x\x07\x1b]0;title\x07\u009cy")
	if want := "\x1b]777;notify;a,b;x]0,titley\x07"; w.String() != want {
		t.Errorf("wrote %q, want %q", w.String(), want)
	}
}

// TestNotifySendWithoutATerminal: stderr is a pipe, notify-send (a fake on
// PATH recording its arguments) gets the title and body; Close waits for it.
func TestNotifySendWithoutATerminal(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s|' \"$@\" > " + out + ".tmp && mv " + out + ".tmp " + out + "\n"
	if err := os.WriteFile(filepath.Join(dir, "notify-send"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	n, err := New(w, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n.Send("autoreload", "exited with code 1")
	n.Close()
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("notify-send not run (or Close did not wait, %v): %v", time.Since(start), err)
	}
	if want := "autoreload|exited with code 1|"; string(got) != want {
		t.Errorf("notify-send got %q, want %q", got, want)
	}
}

func TestUnavailable(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if _, err := New(w, env(nil)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("New without terminal or notify-send = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(ErrUnavailable.Error(), "notify-send") {
		t.Error("the error does not name notify-send")
	}
}

// TestTerminalFirst: with stderr on a terminal, the escape goes there even
// when notify-send is at hand (it would show on the wrong desktop over SSH).
func TestTerminalFirst(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip(err)
	}
	defer master.Close()
	defer slave.Close()
	n, err := New(slave, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	n.Send("autoreload", "x")
	want := "\x1b]777;notify;autoreload;x\x07"
	got := make([]byte, 0, len(want))
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for len(got) < len(want) {
		k, err := master.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			t.Fatalf("read %q, then %v", got, err)
		}
	}
	if string(got) != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}
}

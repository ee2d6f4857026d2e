// Package notify sends desktop notifications. On a terminal it writes the
// escape sequence terminals turn into one (OSC 777, or OSC 9 for those that
// read that instead), which reaches the desktop over SSH and, wrapped,
// through tmux; without a terminal it runs notify-send when there is one.
// Sending never blocks its caller, and never fails it: a notification
// that cannot be shown is lost.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/tty"
)

// ErrUnavailable is New's error when there is no way to notify: no
// terminal and no notify-send.
var ErrUnavailable = errors.New("no terminal and no notify-send in PATH")

// sendTimeout bounds one notify-send: a desktop bus that hangs must not
// keep a Close waiting.
const sendTimeout = 5 * time.Second

// Notifier sends notifications; Send may be called from any goroutine.
type Notifier struct {
	term    io.Writer // the terminal, or nil
	osc     func(title, body string) string
	command string // notify-send's path, when there is no terminal
	mu      sync.Mutex
	wg      sync.WaitGroup // the notify-sends still running
}

// New returns a Notifier for the terminal on stderr, or for notify-send
// from PATH when stderr is no terminal. getenv tells which escape the
// terminal reads.
func New(stderr *os.File, getenv func(string) string) (*Notifier, error) {
	if tty.IsTerminal(stderr) {
		return Terminal(stderr, getenv), nil
	}
	path, err := exec.LookPath("notify-send")
	if err != nil {
		return nil, ErrUnavailable
	}
	return &Notifier{command: path}, nil
}

// Terminal returns a Notifier writing escape sequences to w, a terminal
// described by getenv.
func Terminal(w io.Writer, getenv func(string) string) *Notifier {
	return &Notifier{term: w, osc: escapeFor(getenv)}
}

// Send shows title and body. On a terminal the escape is written at once;
// notify-send runs in the background, and Close waits for it.
func (n *Notifier) Send(title, body string) {
	title, body = printable(title), printable(body)
	if n.term != nil {
		n.mu.Lock()
		defer n.mu.Unlock()
		_, _ = io.WriteString(n.term, n.osc(title, body)) // a terminal gone shows nothing
		return
	}
	n.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		// In the caller's process group, so a supervisor's reaper, which
		// reaps only other groups' orphans, leaves its end to Run here.
		_ = exec.CommandContext(ctx, n.command, title, body).Run()
	})
}

// Close waits for the notify-sends still running.
func (n *Notifier) Close() { n.wg.Wait() }

// escapeFor picks the escape the terminal reads: OSC 9 for iTerm2 and
// kitty (LC_TERMINAL survives SSH), else OSC 777, which urxvt, foot,
// WezTerm, Ghostty and others read. Inside tmux the sequence is wrapped to
// pass through to the outer terminal (tmux needs allow-passthrough on).
func escapeFor(getenv func(string) string) func(title, body string) string {
	seq := func(title, body string) string {
		return fmt.Sprintf("\x1b]777;notify;%s;%s\x07", title, body)
	}
	if getenv("TERM_PROGRAM") == "iTerm.app" || getenv("LC_TERMINAL") == "iTerm2" ||
		getenv("KITTY_WINDOW_ID") != "" || getenv("TERM") == "xterm-kitty" {
		seq = func(title, body string) string {
			return fmt.Sprintf("\x1b]9;%s: %s\x07", title, body)
		}
	}
	if getenv("TMUX") == "" {
		return seq
	}
	return func(title, body string) string {
		return "\x1bPtmux;" + strings.ReplaceAll(seq(title, body), "\x1b", "\x1b\x1b") + "\x1b\\"
	}
}

// printable drops what would end or break the escape sequence: control
// characters, C1 ones included; ';' separates OSC 777's fields.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		if r == ';' {
			return ','
		}
		return r
	}, s)
}

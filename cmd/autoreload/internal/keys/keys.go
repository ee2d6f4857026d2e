// Package keys reads single key presses from a terminal: the terminal is in
// cbreak mode (no line buffering, no echo) while a Reader is open, and in
// its modes from before once it is closed.
//
// Job control: Ctrl-Z, which cbreak mode turns into a key, stops the
// process while Next reads, as the terminal's SIGTSTP would, with the
// terminal's modes set back first; the caller's hold function stops what
// runs in other process groups (which the terminal's Ctrl-Z would not
// reach) until the process is continued. Continued in the foreground
// (after any stop), the Reader puts the terminal in cbreak mode again. In an
// orphaned process group, which no shell would continue, Ctrl-Z stops
// nothing, as for any program. A Reader opened in the background is
// refused: the terminal's keys are not the caller's.
package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/tty"
)

// ErrBackground is Open's error when the caller's process group is not the
// terminal's foreground group.
var ErrBackground = errors.New("not in the terminal's foreground")

// Reader reads key presses; Next and Close may be called from different
// goroutines, Next from one at a time.
type Reader struct {
	f     *os.File // the terminal, opened for the Reader alone
	fd    int
	saved *tty.State // the modes from before; set back by Close

	mu     sync.Mutex // serialises mode changes: Close, a suspend, a continue
	closed bool

	pending []byte // keys read but not yet returned

	hold func() (release func()) // see Open; may be nil

	stop chan struct{} // closed by Close, for watchContinue
	done chan struct{} // closed when watchContinue ended
}

// Open opens the terminal device name (such as /dev/tty) and puts it in
// cbreak mode. The device is opened anew, so its descriptor is the
// Reader's alone: non-blocking reads, which Close interrupts, change
// nothing for other processes writing to the same terminal. hold, when not
// nil, is called as Ctrl-Z stops the process, and the function it returns
// as the process goes on.
func Open(name string, hold func() (release func())) (*Reader, error) {
	f, err := os.OpenFile(name, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	fd, _ := tty.FD(f) // not f.Fd(), which would make reads blocking
	if !tty.IsTerminal(f) {
		f.Close()
		return nil, fmt.Errorf("keys: %s: %w", name, tty.ErrNotTerminal)
	}
	if !tty.InForeground(fd) {
		f.Close()
		return nil, fmt.Errorf("keys: %s: %w", name, ErrBackground)
	}
	saved, err := tty.Cbreak(fd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("keys: %s: %w", name, err)
	}
	r := &Reader{f: f, fd: fd, saved: saved, hold: hold, stop: make(chan struct{}), done: make(chan struct{})}
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	go r.watchContinue(cont)
	return r, nil
}

// watchContinue puts the terminal back in cbreak mode whenever the process
// is continued in the foreground after a stop: the shell set its own modes
// meanwhile.
func (r *Reader) watchContinue(cont chan os.Signal) {
	defer close(r.done)
	defer signal.Stop(cont)
	for {
		select {
		case <-r.stop:
			return
		case <-cont:
			r.cbreakAgain()
		}
	}
}

func (r *Reader) cbreakAgain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed && tty.InForeground(r.fd) {
		_, _ = tty.Cbreak(r.fd) // the modes to restore stay those from Open
	}
}

// ctrlZ is the suspend key, which cbreak mode delivers as a key.
const ctrlZ = 0x1a

// suspend stops the process as Ctrl-Z's SIGTSTP would have, with the
// terminal's modes as they were and what hold stops stopped, and returns
// once it is continued: at once in an orphaned process group, where the
// kernel discards the stop. SIGTSTP is never caught in this process (Go
// could not give it its default action back), so its default action is
// what stops it.
func (r *Reader) suspend() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	_ = r.saved.Restore()
	r.mu.Unlock()
	release := func() {}
	if r.hold != nil {
		release = r.hold()
	}
	stopSelf()
	release()
	r.cbreakAgain()
}

// Next returns the next key pressed: a byte, as typed (Ctrl-X is 0x18).
// An escape sequence (an arrow or function key, Alt with a key) is
// dropped whole, so that Alt-r is no r. It returns ctx's error when ctx
// ends first, and os.ErrClosed after Close.
func (r *Reader) Next(ctx context.Context) (byte, error) {
	for len(r.pending) == 0 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := r.f.SetReadDeadline(time.Time{}); err != nil {
			return 0, err
		}
		stop := context.AfterFunc(ctx, func() { _ = r.f.SetReadDeadline(time.Now()) })
		buf := make([]byte, 64)
		n, err := r.f.Read(buf)
		stop()
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			return 0, fmt.Errorf("keys: %w", err)
		}
		r.pending = withoutEscapes(buf[:n])
		if bytes.IndexByte(r.pending, ctrlZ) >= 0 {
			r.pending = bytes.ReplaceAll(r.pending, []byte{ctrlZ}, nil)
			r.suspend()
		}
	}
	k := r.pending[0]
	r.pending = r.pending[1:]
	return k, nil
}

// Close sets the terminal's modes back as they were before Open and closes
// it; a Next waiting for a key returns. It may be called more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	err := r.saved.Restore()
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// withoutEscapes drops escape sequences from b: CSI and SS3 (ESC [ or
// ESC O, parameters, a final byte from @ to ~), and ESC with one more
// byte (Alt with a key); an ESC alone (the Esc key) too.
func withoutEscapes(b []byte) []byte {
	out := b[:0:0]
	for i := 0; i < len(b); i++ {
		if b[i] != 0x1b {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		i++
		if b[i] != '[' && b[i] != 'O' {
			continue // ESC x
		}
		for i+1 < len(b) && (b[i+1] < 0x40 || b[i+1] > 0x7e) {
			i++
		}
		i++ // the final byte
	}
	return out
}

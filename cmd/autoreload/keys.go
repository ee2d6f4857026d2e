package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/keys"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/tty"
)

// keysHelp is what ? shows, and what -I says at start.
const keysHelp = "r restart, p pause or resume watching, q quit, ? keys"

// terminal is what the terminal flags set up: with -I the key reader and
// COMMAND's stdin (/dev/null: the terminal's input is autoreload's), with
// --clear what clears the screen. Close puts the terminal back as it was.
type terminal struct {
	keys  *keys.Reader // nil without -I, or without a terminal
	stdin *os.File     // COMMAND's stdin; nil: autoreload's own
	clear func()       // nil without --clear
	gate  *pauser      // holds changes while paused (p)
	// sup is set by attach; hold may read it from the key reader's
	// job control goroutine before.
	sup atomic.Pointer[supervisor.Supervisor]
}

// attach gives the terminal the supervisor, once made: the gate passes
// changes on to it, and Ctrl-Z holds its COMMAND.
func (t *terminal) attach(sup *supervisor.Supervisor) {
	t.gate.next = sup
	t.sup.Store(sup)
}

// hold stops COMMAND as Ctrl-Z stops autoreload (keys.Open).
func (t *terminal) hold() (release func()) {
	sup := t.sup.Load()
	if sup == nil {
		return func() {}
	}
	return sup.Hold()
}

// The terminal's log messages: the keys read (keys), or why none are (no
// keys: reason), and the p key's pause and resume (key; count resumed).
const (
	msgKeys    = "keys"
	msgNoKeys  = "no keys"
	msgPaused  = "paused"
	msgResumed = "resumed"
)

// openTerminal prepares what cfg asks of the terminal. -I without a
// terminal, or in the background, is a warning, not an error: a script
// that sets AUTORELOAD_KEYS still runs where there are no keys to read.
func openTerminal(cfg *config, logger *slog.Logger) (*terminal, error) {
	t := &terminal{gate: &pauser{}} // see attach
	if cfg.clear != "" {
		mode := tty.ClearScreen
		if cfg.clear == "reset" {
			mode = tty.ClearReset
		}
		clear := tty.Clearer(os.Stderr, mode)
		t.clear = func() {
			clear()
			if t.keys != nil {
				logger.Info(msgKeys, "keys", keysHelp) // the screen's first line
			}
		}
	}
	if !cfg.keys {
		return t, nil
	}
	if !tty.IsTerminal(os.Stdin) {
		logger.Warn(msgNoKeys, "reason", "stdin is not a terminal")
		return t, nil
	}
	r, err := keys.Open("/dev/tty", t.hold)
	switch {
	case errors.Is(err, keys.ErrBackground):
		logger.Warn(msgNoKeys, "reason", "autoreload is not in the terminal's foreground")
		return t, nil
	case err != nil:
		logger.Warn(msgNoKeys, "reason", err.Error())
		return t, nil
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("keys: %w", err)
	}
	t.keys, t.stdin = r, null
	logger.Info(msgKeys, "keys", keysHelp)
	return t, nil
}

// Close restores the terminal's modes; autoreload calls it on every way
// out, signals included (they end Run, not the process).
func (t *terminal) Close() {
	if t.keys != nil {
		t.keys.Close()
		t.stdin.Close()
	}
}

// readKeys acts on the keys until ctx ends: r and q go to the signal
// handler as SIGUSR1 and Ctrl-C would (so a second q kills, as a second
// Ctrl-C does), p pauses and resumes, ? lists the keys. It always ends
// with ctx.
func (t *terminal) readKeys(ctx context.Context, pressed chan<- byte, logger *slog.Logger) {
	if t.keys == nil {
		return
	}
	for {
		k, err := t.keys.Next(ctx)
		if err != nil {
			return
		}
		switch k {
		case 'r', 'q':
			select {
			case pressed <- k:
			case <-ctx.Done():
				return
			}
		case 'p':
			if paused, held := t.gate.toggle(); paused {
				logger.Info(msgPaused, "key", "p")
			} else {
				logger.Info(msgResumed, "key", "p", "count", held)
			}
		case '?':
			logger.Info(msgKeys, "keys", keysHelp)
		}
	}
}

// pauser passes changes on to the supervisor, or holds them while paused;
// on resume all that it held go on as one request, so one restart follows
// with all of them.
type pauser struct {
	next restarter

	mu     sync.Mutex
	paused bool
	held   []supervisor.Change
	seen   map[string]bool
}

func (p *pauser) RestartChanges(changes []supervisor.Change) {
	p.admit(changes, func(bool) {})
}

// admit announces changes (the "changed" line, paused or not) and holds
// them or passes them on, the announcement of held ones under the lock: a
// resume cannot come between, so what the log says is held is held, and
// counted.
func (p *pauser) admit(changes []supervisor.Change, announce func(paused bool)) {
	p.mu.Lock()
	if p.paused {
		defer p.mu.Unlock()
		announce(true)
		for _, c := range changes {
			p.seen[c.Path] = true
		}
		p.held = append(p.held, changes...)
		return
	}
	p.mu.Unlock()
	announce(false)
	p.next.RestartChanges(changes)
}

// admit announces changes and hands them to sup: through the pause gate
// when sup is one.
func admit(sup restarter, changes []supervisor.Change, announce func(paused bool)) {
	if p, ok := sup.(*pauser); ok {
		p.admit(changes, announce)
		return
	}
	announce(false)
	sup.RestartChanges(changes)
}

// toggle pauses or resumes, and on resume reports how many files changed
// meanwhile, which it hands on.
func (p *pauser) toggle() (paused bool, held int) {
	p.mu.Lock()
	p.paused = !p.paused
	if p.paused {
		p.held, p.seen = nil, map[string]bool{}
		p.mu.Unlock()
		return true, 0
	}
	changes, n := p.held, len(p.seen)
	p.held, p.seen = nil, nil
	p.mu.Unlock()
	if len(changes) > 0 {
		p.next.RestartChanges(changes)
	}
	return false, n
}

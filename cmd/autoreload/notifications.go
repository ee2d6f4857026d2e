package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/notify"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
)

// notifying is a log handler that passes every record on and, for the two
// that need the user's eyes, sends a desktop notification: a failed build
// ("build failed"), and COMMAND ending with a failure by itself ("exited"
// with a non-zero code or a signal, and what follows: then). The log
// messages are the supervisor's documented events (the README's table),
// so --notify needs nothing of the supervisor.
type notifying struct {
	slog.Handler
	n       *notify.Notifier
	command string
	crashes *limit // shared by the handlers WithAttrs makes
}

// crashNotifyEvery bounds the notifications of COMMAND's failures: one
// that keeps crashing (--on-exit=restart backs off to 5 s) would notify
// without end. A failed build is the answer to a save, and always shown.
const crashNotifyEvery = 30 * time.Second

// limit lets one event through per period.
type limit struct {
	mu     sync.Mutex
	period time.Duration
	now    func() time.Time
	last   time.Time
}

func (l *limit) allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.period {
		return false
	}
	l.last = now
	return true
}

// msgNotifyOff warns that --notify has no way to notify (error).
const msgNotifyOff = "notify off"

// withNotifications returns logger with --notify's handler, and the
// Notifier to close; without a way to notify it warns once.
func withNotifications(cfg *config, logger *slog.Logger) (*slog.Logger, *notify.Notifier) {
	if !cfg.notify {
		return logger, nil
	}
	n, err := notify.New(os.Stderr, os.Getenv)
	if err != nil {
		logger.Warn(msgNotifyOff, "error", err.Error())
		return logger, nil
	}
	return slog.New(newNotifying(logger.Handler(), n, cfg.command[0], time.Now)), n
}

func newNotifying(h slog.Handler, n *notify.Notifier, command string, now func() time.Time) *notifying {
	return &notifying{Handler: h, n: n, command: filepath.Base(command),
		crashes: &limit{period: crashNotifyEvery, now: now}}
}

// Enabled lets the events through even when the log leaves them out
// (-q logs no "exited"): the notification does not depend on the log.
func (h *notifying) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.Handler.Enabled(ctx, l)
}

func (h *notifying) Handle(ctx context.Context, r slog.Record) error {
	if body := h.body(r); body != "" {
		h.n.Send("autoreload", body)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *notifying) WithAttrs(as []slog.Attr) slog.Handler {
	return &notifying{Handler: h.Handler.WithAttrs(as), n: h.n, command: h.command, crashes: h.crashes}
}

func (h *notifying) WithGroup(name string) slog.Handler {
	return &notifying{Handler: h.Handler.WithGroup(name), n: h.n, command: h.command, crashes: h.crashes}
}

// body is the notification for r, or "" when r needs none.
func (h *notifying) body(r slog.Record) string {
	attrs := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.Resolve(); return true })
	how := func() string {
		if s, ok := attrs["signal"]; ok {
			return "killed by " + s.String()
		}
		if c, ok := attrs["code"]; ok {
			return "exit " + c.String()
		}
		if e, ok := attrs["error"]; ok {
			return e.String()
		}
		return ""
	}
	switch r.Message {
	case supervisor.MsgBuildFailed:
		return fmt.Sprintf("build failed (%s)", how())
	case supervisor.MsgExited:
		// then: it ended by itself and autoreload goes on. Code 0 is no
		// failure, code 3 a request to restart.
		_, then := attrs["then"]
		if code, ok := attrs["code"]; ok && (code.String() == "0" || code.String() == "3") {
			return ""
		}
		if then && h.crashes.allow() {
			return fmt.Sprintf("%s failed (%s)", h.command, how())
		}
	}
	return ""
}

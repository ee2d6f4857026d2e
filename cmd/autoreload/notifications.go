package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/notify"
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
}

// withNotifications returns logger with --notify's handler, and the
// Notifier to close; without a way to notify it warns once.
func withNotifications(cfg *config, logger *slog.Logger) (*slog.Logger, *notify.Notifier) {
	if !cfg.notify {
		return logger, nil
	}
	n, err := notify.New(os.Stderr, os.Getenv)
	if err != nil {
		logger.Warn("notify off", "error", err.Error())
		return logger, nil
	}
	h := &notifying{Handler: logger.Handler(), n: n, command: filepath.Base(cfg.command[0])}
	return slog.New(h), n
}

func (h *notifying) Handle(ctx context.Context, r slog.Record) error {
	if body := h.body(r); body != "" {
		h.n.Send("autoreload", body)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *notifying) WithAttrs(as []slog.Attr) slog.Handler {
	return &notifying{Handler: h.Handler.WithAttrs(as), n: h.n, command: h.command}
}

func (h *notifying) WithGroup(name string) slog.Handler {
	return &notifying{Handler: h.Handler.WithGroup(name), n: h.n, command: h.command}
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
	case "build failed":
		return fmt.Sprintf("build failed (%s)", how())
	case "exited":
		// then: it ended by itself and autoreload goes on. Code 0 is no
		// failure, code 3 a request to restart.
		_, then := attrs["then"]
		if code, ok := attrs["code"]; ok && (code.String() == "0" || code.String() == "3") {
			return ""
		}
		if then {
			return fmt.Sprintf("%s failed (%s)", h.command, how())
		}
	}
	return ""
}

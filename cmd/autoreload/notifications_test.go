package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/notify"
)

// TestNotifications: which log events notify, whether or not the log
// shows them (a log that discards all, as -q discards "exited"), and a
// crash loop notifies once per crashNotifyEvery.
func TestNotifications(t *testing.T) {
	var term bytes.Buffer
	now := time.Unix(1e9, 0)
	h := newNotifying(slog.DiscardHandler, notify.Terminal(&term, func(string) string { return "" }), "/src/bin/server",
		func() time.Time { return now })
	log := slog.New(h).With("some", "attr") // WithAttrs keeps the limit
	sent := func() []string {
		defer term.Reset()
		var bodies []string
		for _, seq := range strings.Split(term.String(), "\x07") {
			if _, body, ok := strings.Cut(seq, "\x1b]777;notify;autoreload;"); ok {
				bodies = append(bodies, body)
			}
		}
		return bodies
	}
	for _, tc := range []struct {
		name  string
		log   func()
		want  []string
		later time.Duration
	}{
		{"build failed", func() { log.Error("build failed", "code", 2, "pid", 7) }, []string{"build failed (exit 2)"}, 0},
		{"build killed", func() { log.Error("build failed", "signal", "SIGKILL") }, []string{"build failed (killed by SIGKILL)"}, 0},
		{"build not started", func() { log.Error("build failed", "error", "fork: no memory") }, []string{"build failed (fork: no memory)"}, 0},
		{"built", func() { log.Info("built", "duration", "1s") }, nil, 0},
		{"exit 0", func() { log.Info("exited", "pid", 1, "code", 0, "then", "wait") }, nil, 0},
		{"exit 3", func() { log.Info("exited", "pid", 1, "code", 3, "then", "restart") }, nil, 0},
		{"stopped", func() { log.Info("exited", "pid", 1, "signal", "SIGTERM", "stopped", true) }, nil, 0},
		{"Ctrl-C", func() { log.Info("exited", "pid", 1, "code", 130) }, nil, 0},
		{"exit 1", func() { log.Info("exited", "pid", 1, "code", 1, "then", "wait") }, []string{"server failed (exit 1)"}, 0},
		{"crash again at once", func() { log.Info("exited", "pid", 2, "signal", "SIGSEGV", "then", "restart") }, nil, 5 * time.Second},
		{"build fails meanwhile", func() { log.Error("build failed", "code", 1) }, []string{"build failed (exit 1)"}, 0},
		{"crash after the period", func() { log.Info("exited", "pid", 3, "signal", "SIGSEGV", "then", "restart") },
			[]string{"server failed (killed by SIGSEGV)"}, crashNotifyEvery},
	} {
		now = now.Add(tc.later)
		tc.log()
		if got := sent(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: notified %q, want %q", tc.name, got, tc.want)
		}
	}
}

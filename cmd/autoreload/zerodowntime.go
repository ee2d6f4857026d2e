package main

import (
	"log/slog"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/socket"
)

// msgListening says the --socket addresses are bound (addrs).
const msgListening = "listening"

// listen opens the --socket addresses for autoreload's whole life; one that
// cannot be opened is bad usage (exit 2): in use, no such address, no
// permission.
func listen(cfg *config, logger *slog.Logger) (*socket.Set, error) {
	set, err := socket.Listen(cfg.sockets)
	if err != nil {
		return nil, &usageError{err}
	}
	if set.Len() > 0 {
		logger.Info(msgListening, "addrs", set.Bound())
	}
	return set, nil
}

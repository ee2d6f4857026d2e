package fallback

import (
	"context"
	"fmt"

	"github.com/autoreload/autoreload/watchman"
)

// Choice is the decision a Watcher starts from (get_reloader in Django):
// Watchman, on a connection that passed the availability check, or the
// poller, and why. New makes it itself; Choose makes it ahead of New for a
// caller that must know it first (the command with --reloader watchman
// ends before COMMAND ever starts when Watchman is unusable, yet builds its
// watcher beside COMMAND), and New takes it over through Options.Choice:
// the check and the subscription are then one connection and one
// handshake.
type Choice struct {
	reloader Reloader
	sock     string         // the socket found; "" when none was
	conn     *watchman.Conn // checked; nil on the poller, and once New took it
	reason   error          // why the poller (ReloaderAuto): Watchman unusable
}

// Choose decides as New does. With ReloaderStat: the poller, and Watchman
// is never touched. Else it finds the socket, letting get-sockname start
// the service as Watchman's own clients do, and checks the daemon (see
// watchman.Check), within WatchmanTimeout. An unusable Watchman is an
// error matching watchman.ErrUnavailable with ReloaderWatchman, and with
// ReloaderAuto the choice of the poller. The caller closes the Choice; New
// takes its connection over.
func Choose(ctx context.Context, opts Options) (*Choice, error) {
	opts.fillChoice()
	ch := &Choice{reloader: opts.Reloader}
	switch opts.Reloader {
	case ReloaderStat:
		return ch, nil
	case ReloaderAuto, ReloaderWatchman:
	default:
		return nil, fmt.Errorf("unknown reloader %q", opts.Reloader)
	}
	sock, err := opts.sock, error(nil)
	if sock == "" {
		sock, err = locate(ctx, opts.WatchmanTimeout)
	}
	if err == nil {
		ch.sock = sock
		ch.conn, err = watchman.Connect(ctx, sock, opts.WatchmanTimeout)
	}
	if err != nil {
		if opts.Reloader == ReloaderWatchman || ctx.Err() != nil {
			return nil, err
		}
		ch.reason = err
	}
	return ch, nil
}

// Close releases the connection unless New took it over; a nil Choice is
// fine.
func (ch *Choice) Close() error {
	if ch == nil {
		return nil
	}
	return ch.conn.Close()
}

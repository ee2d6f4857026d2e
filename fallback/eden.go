package fallback

import "fmt"

// An EdenFS checkout is never listed (see mounts.Eden): only Watchman,
// which Eden tells what changed, can watch one. While the poller stands in
// for Watchman it watches there only the files of Options.Bounded, if any.
// The user is told once per stand-in; Watchman is tried again even if no
// socket was found at start (the user was told to start it); and the
// switch back restarts COMMAND with an unknown batch, as after a fresh
// instance: what changed meanwhile cannot be accounted for.

// MsgEdenCheckout: the poller stands in for Watchman and a root is in an
// Eden checkout, which it never lists (roots, polled, hint).
const MsgEdenCheckout = "eden checkout"

// warnEden says why a checkout is not watched, or only partly, while the
// poller stands in for Watchman. With ReloaderStat and a bound (the
// poller the user asked for) there is nothing to fix.
func (w *Watcher) warnEden() {
	if w.opts.Reloader == ReloaderStat && w.opts.Bounded != nil {
		return
	}
	st := w.poller.Stats()
	if len(st.Unlisted) == 0 {
		return
	}
	w.log.Warn(MsgEdenCheckout, "roots", st.Unlisted, "polled", st.Bounded,
		"hint", fmt.Sprintf("Watchman is required; start it with watchman watch-project %s or run eden doctor", st.Unlisted[0]))
}

// edenUnwatched reports whether the poller leaves part of the tree, an
// Eden checkout, unwatched.
func (w *Watcher) edenUnwatched() bool {
	return len(w.poller.Stats().Unlisted) > 0
}

package watchman

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// The protocol library's request types (protocol.go) cover
// list-capabilities, watch-project, clock and unsubscribe; these add what
// it lacks: subscribe
// with a query, a plain query, and the cheap health request.

// subscribeRequest is subscribe with our own query (the protocol package's
// SubscribeRequest has a fixed field list and no expression or since).
type subscribeRequest struct {
	watch, name string
	query       map[string]any
}

func (r *subscribeRequest) Args() []any { return []any{"subscribe", r.watch, r.name, r.query} }

// queryRequest is a one-off query.
type queryRequest struct {
	watch string
	query map[string]any
}

func (r *queryRequest) Args() []any { return []any{"query", r.watch, r.query} }

// getPidRequest is the health request: answered by the daemon's client
// thread without touching a root, so it neither syncs (no cookie file) nor
// waits for a crawl.
type getPidRequest struct{}

func (getPidRequest) Args() []any { return []any{"get-pid"} }

// fields are what each changed file carries: enough for a batch and for the
// fallback layer to dedupe against the poller (mtime and size).
var fields = []string{"name", "exists", "new", "type", "mtime_ns", "size"}

// required are the capabilities the backend relies on. The expression terms
// used by the spec translation are included so an odd daemon fails the
// availability check rather than the subscribe.
var required = []string{
	"relative_root", "dedup_results", "clock-sync-timeout",
	"wildmatch", "wildmatch-multislash",
	"term-allof", "term-anyof", "term-not", "term-type", "term-name", "term-match",
	"term-since", "field-name", "field-exists", "field-new", "field-type",
	"field-mtime_ns", "field-size", "cmd-get-pid",
}

// isDisconnect reports a closed or reset connection.
func isDisconnect(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENOENT)
}

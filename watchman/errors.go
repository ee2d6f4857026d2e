package watchman

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// ErrUnavailable is the category of every error that means "Watchman cannot
// serve us now": the caller falls back to the poller. Test with errors.Is.
var ErrUnavailable = errors.New("watchman unavailable")

// ErrRootGone means the daemon canceled a subscription because its watched
// root was deleted. Watchman itself is fine: it is not an ErrUnavailable,
// and the root can be watched again once it is back. Test with errors.Is;
// a RootGoneError names the root.
var ErrRootGone = errors.New("root deleted")

// RootGoneError is an ErrRootGone: Root, a directory the subscription
// watched, is gone.
type RootGoneError struct {
	Root string
}

func (e *RootGoneError) Error() string { return oneLine("root deleted: " + e.Root) }

// Is makes every RootGoneError match ErrRootGone.
func (e *RootGoneError) Is(target error) bool { return target == ErrRootGone }

// PanicError is a panic (a bug) recovered in a goroutine that a watcher
// runs on its own, returned by its Next instead of ending the process
// there, where nothing could stop COMMAND or restore the terminal first.
type PanicError struct {
	Value any
	Stack []byte // the goroutine's, where it panicked
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Recovered is the PanicError of v, a value recover returned, with the
// stack of the goroutine that called recover's deferred function.
func Recovered(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

// ErrCrawling means the daemon was still crawling a root (watch-project
// had not returned) when Options.CrawlTimeout passed: Watchman is not
// available yet. It matches ErrUnavailable too; a CrawlError says which
// root. The daemon goes on crawling, and a later Subscribe waits for the
// rest of the crawl only.
var ErrCrawling = errors.New("watchman still crawling")

// CrawlError is an ErrCrawling (and an ErrUnavailable).
type CrawlError struct {
	Root  string        // the directory watch-project was asked for
	After time.Duration // how long it was waited for
}

func (e *CrawlError) Error() string {
	return oneLine(fmt.Sprintf("watchman still crawling %s after %s", e.Root, e.After))
}

// Is makes every CrawlError match ErrCrawling and ErrUnavailable.
func (e *CrawlError) Is(target error) bool { return target == ErrCrawling || target == ErrUnavailable }

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("watchman subscription closed")

// Reason says why Watchman is unavailable, for callers and logs that want
// more than the category.
type Reason int

const (
	ReasonNoBinary      Reason = iota + 1 // the watchman binary is not installed
	ReasonNoSocket                        // no socket could be found or connected to
	ReasonTimeout                         // the daemon did not answer within the timeout (hung)
	ReasonOldVersion                      // the daemon is older than 4.9
	ReasonCapability                      // the daemon lacks a capability we need
	ReasonForeignSocket                   // the socket belongs to another user
	ReasonProtocol                        // the daemon sent a reply we cannot use
	ReasonRefused                         // the daemon answered a command with an error
	ReasonDisconnected                    // the daemon closed the connection (shutdown, crash)
	ReasonCanceled                        // the daemon canceled the subscription with the root still there (watch-del)
)

var reasonNames = map[Reason]string{
	ReasonNoBinary:      "binary missing",
	ReasonNoSocket:      "no socket",
	ReasonTimeout:       "no answer",
	ReasonOldVersion:    "version too old",
	ReasonCapability:    "capability missing",
	ReasonForeignSocket: "socket owned by another user",
	ReasonProtocol:      "bad reply",
	ReasonRefused:       "command refused",
	ReasonDisconnected:  "disconnected",
	ReasonCanceled:      "subscription canceled",
}

func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return "unknown reason"
}

// UnavailableError carries the details of an ErrUnavailable: the operation
// (a Watchman command and its argument, or the socket), the reason, and the
// underlying error. Its message is one line.
type UnavailableError struct {
	Op     string // e.g. "list-capabilities /run/watchman/sock"
	Reason Reason
	Err    error
}

func (e *UnavailableError) Error() string {
	msg := "watchman unavailable (" + e.Reason.String() + ")"
	if e.Op != "" {
		msg += ": " + e.Op
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return oneLine(msg)
}

// Unwrap gives the underlying error (a syscall.Errno, a timeout, a CommandError, ...).
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes every UnavailableError match ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

func unavailable(op string, reason Reason, err error) error {
	return &UnavailableError{Op: op, Reason: reason, Err: err}
}

// CommandError is an "error" field in a Watchman reply.
type CommandError struct {
	Msg string
}

func (e *CommandError) Error() string { return oneLine(e.Msg) }

// oneLine keeps an error to one line, whatever a daemon put in its message,
// and bounds its length so a hostile daemon cannot flood the log.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

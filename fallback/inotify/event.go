package inotify

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Op is a set of things that happened to an entry, or to the watched
// directory itself.
type Op uint32

const (
	Create     Op = 1 << iota // an entry was created (IN_CREATE)
	Modify                    // a file was written, maybe not to the end (IN_MODIFY)
	CloseWrite                // a file opened for writing was closed (IN_CLOSE_WRITE)
	Attrib                    // metadata changed, such as mtime by touch (IN_ATTRIB)
	Remove                    // an entry was deleted (IN_DELETE)
	MovedFrom                 // an entry was renamed away (IN_MOVED_FROM)
	MovedTo                   // an entry was renamed into place (IN_MOVED_TO)
	IsDir                     // the entry is a directory (IN_ISDIR)
	// Gone: the watch itself ended; the directory was deleted, renamed,
	// or unmounted (IN_DELETE_SELF, IN_MOVE_SELF, IN_UNMOUNT, IN_IGNORED).
	// Name is empty.
	Gone
	// Overflow: the kernel's queue overflowed and events were lost
	// (IN_Q_OVERFLOW). Dir and Name are empty.
	Overflow
)

var opNames = []string{"create", "modify", "close_write", "attrib", "remove",
	"moved_from", "moved_to", "isdir", "gone", "overflow"}

func (op Op) String() string {
	var parts []string
	for i, n := range opNames {
		if op&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}

// Has reports whether op includes every bit of o.
func (op Op) Has(o Op) bool { return op&o == o }

// Event is one kernel event.
type Event struct {
	Dir  string // the watched directory, as given to Add
	Name string // the entry inside Dir; empty for an event on Dir itself
	Op   Op
}

// Path is Dir joined with Name, or Dir for an event on Dir itself.
func (e Event) Path() string {
	if e.Name == "" {
		return e.Dir
	}
	return e.Dir + "/" + e.Name
}

func (e Event) String() string { return fmt.Sprintf("%s %s", e.Path(), e.Op) }

// ErrUnsupported is returned by New where there is no inotify.
var ErrUnsupported = errors.New("inotify: not supported on this system")

// ErrClosed is returned by Read and Add once Close has been called.
var ErrClosed = errors.New("inotify: closed")

// ErrLimit is the category of every *LimitError.
var ErrLimit = errors.New("inotify: kernel limit reached")

// LimitError is a kernel limit reached: not a failure of the caller, who
// keeps the directory on full scans and tells the user which sysctl to
// raise.
type LimitError struct {
	Op   string // "inotify_add_watch" or "inotify_init1"
	Path string // the directory, for inotify_add_watch
	Err  error  // syscall.ENOSPC or syscall.EMFILE
}

// Sysctl names the kernel setting whose limit was reached.
func (e *LimitError) Sysctl() string {
	if errors.Is(e.Err, syscall.EMFILE) {
		return "fs.inotify.max_user_instances"
	}
	return "fs.inotify.max_user_watches"
}

func (e *LimitError) Error() string {
	s := e.Op
	if e.Path != "" {
		s += " " + e.Path
	}
	return fmt.Sprintf("%s: %v (limit %s)", s, e.Err, e.Sysctl())
}

func (e *LimitError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// limitError wraps err in a *LimitError when it is a limit, or in a plain
// error with context otherwise.
func limitError(op, path string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
		return &LimitError{Op: op, Path: path, Err: err}
	}
	if path != "" {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

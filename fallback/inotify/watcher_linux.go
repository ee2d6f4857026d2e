package inotify

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mask is what every watch asks for. IN_ONLYDIR: a watch is for a
// directory, and a path replaced by a file fails rather than watching it.
// IN_EXCL_UNLINK: a file deleted while still open says nothing more.
// IN_OPEN, IN_ACCESS and IN_CLOSE_NOWRITE are left out: reading is no change.
const mask = unix.IN_CREATE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB |
	unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_EXCL_UNLINK

// maxBatch bounds the events one Read returns, so a burst cannot grow the
// batch without end; the rest come with the next Read.
const maxBatch = 1 << 16

// Watcher is one inotify instance. Add, Remove and Len may be called from
// any goroutine; Read from one at a time; Close from anywhere.
type Watcher struct {
	file   *os.File // non-blocking, so the runtime's poller waits on it
	raw    syscall.RawConn
	faults Faults

	mu     sync.Mutex
	byWD   map[int32]string
	byPath map[string]int32
	gen    uint64 // counts Reads, so a late cancellation cannot hit the next one
	closed bool

	buf []byte // read buffer, only touched by Read
}

// New returns a watcher with no watch yet.
func New(opts Options) (*Watcher, error) {
	f := opts.faults()
	if f.Init != nil {
		return nil, limitError("inotify_init1", "", f.Init)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, limitError("inotify_init1", "", err)
	}
	file := os.NewFile(uintptr(fd), "inotify")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &Watcher{
		file:   file,
		raw:    raw,
		faults: f,
		byWD:   make(map[int32]string),
		byPath: make(map[string]int32),
		buf:    make([]byte, 64<<10),
	}, nil
}

// Add watches the directory dir (its entries, not its subdirectories'
// entries). Adding a directory already watched is a no-op. A kernel limit
// is a *LimitError; a directory that vanished meanwhile is an error
// wrapping ENOENT or ENOTDIR.
func (w *Watcher) Add(dir string) error {
	if w.faults.Add != nil {
		if err := w.faults.Add(dir); err != nil {
			return limitError("inotify_add_watch", dir, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	var wd int
	var addErr error
	if err := w.raw.Control(func(fd uintptr) {
		for {
			wd, addErr = unix.InotifyAddWatch(int(fd), dir, mask)
			if addErr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return ErrClosed
	}
	if addErr != nil {
		return limitError("inotify_add_watch", dir, addErr)
	}
	if old, ok := w.byPath[dir]; ok && old != int32(wd) {
		// dir is a new directory at an old path: the old watch follows
		// the old inode wherever it went, and would name the wrong path.
		delete(w.byWD, old)
		w.rmWatch(old)
	}
	if prev, ok := w.byWD[int32(wd)]; ok && prev != dir {
		delete(w.byPath, prev) // the same inode under another path: keep the newest
	}
	w.byWD[int32(wd)] = dir
	w.byPath[dir] = int32(wd)
	return nil
}

// Remove stops watching dir. Removing a directory not watched, or whose
// watch the kernel already ended, is not an error.
func (w *Watcher) Remove(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	wd, ok := w.byPath[dir]
	if !ok {
		return nil
	}
	delete(w.byPath, dir)
	delete(w.byWD, wd)
	w.rmWatch(wd)
	return nil
}

// rmWatch ends a watch; EINVAL means the kernel ended it already (the
// directory is gone), and its IN_IGNORED will find no path. Called with mu.
func (w *Watcher) rmWatch(wd int32) {
	_ = w.raw.Control(func(fd uintptr) { _, _ = unix.InotifyRmWatch(int(fd), uint32(wd)) })
}

// Len returns the number of directories watched.
func (w *Watcher) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.byPath)
}

// Read blocks until at least one event is queued, then returns it with
// every event already queued behind it (up to a bound), in order. It
// returns ctx's cause when ctx is done first, and ErrClosed after Close.
func (w *Watcher) Read(ctx context.Context) ([]Event, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	w.gen++
	gen := w.gen
	w.file.SetReadDeadline(time.Time{})
	w.mu.Unlock()
	// Cancellation is a read deadline in the past, set only while this
	// Read is the current one: the function may run late, after we return.
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.gen == gen && !w.closed {
			w.file.SetReadDeadline(time.Unix(1, 0))
		}
	})
	defer func() {
		stop()
		w.mu.Lock()
		w.gen++
		w.mu.Unlock()
	}()

	var events []Event
	wait := true // the first read waits; the rest take only what is queued
	for len(events) < maxBatch {
		n, err := w.read(wait)
		if err != nil {
			if !wait {
				break // the queue is empty: the batch is complete
			}
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			if w.isClosed() {
				return nil, ErrClosed
			}
			return nil, &os.PathError{Op: "read", Path: "inotify", Err: err}
		}
		events = w.decode(w.buf[:n], events)
		wait = false
	}
	if w.faults.Overflow != nil && w.faults.Overflow(events) {
		events = []Event{{Op: Overflow}}
	}
	return events, nil
}

func (w *Watcher) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// read reads once into buf: waiting for the descriptor to be readable when
// wait is set, or returning EAGAIN at once when nothing is queued.
func (w *Watcher) read(wait bool) (int, error) {
	var n int
	var rerr error
	err := w.raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), w.buf)
			if rerr != unix.EINTR {
				break
			}
		}
		return !(wait && rerr == unix.EAGAIN)
	})
	if err != nil {
		return 0, err
	}
	if rerr == nil && n <= 0 {
		rerr = unix.EAGAIN
	}
	return n, rerr
}

// decode appends the events in buf to events, naming each by the path its
// watch was added for. Events of a watch already removed are dropped.
func (w *Watcher) decode(buf []byte, events []Event) []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		raw := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		nameBuf := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(raw.Len)]
		off += unix.SizeofInotifyEvent + int(raw.Len)
		m := raw.Mask
		if m&unix.IN_Q_OVERFLOW != 0 {
			events = append(events, Event{Op: Overflow})
			continue
		}
		dir, ok := w.byWD[raw.Wd]
		if !ok {
			continue
		}
		name := string(trimNUL(nameBuf))
		op := opOf(m)
		if op&Gone != 0 && name == "" {
			// The kernel ended this watch (IN_IGNORED follows the others):
			// forget it so Len counts only live watches.
			if m&unix.IN_IGNORED != 0 {
				delete(w.byWD, raw.Wd)
				if w.byPath[dir] == raw.Wd {
					delete(w.byPath, dir)
				}
			}
		}
		if op == 0 {
			continue
		}
		events = append(events, Event{Dir: dir, Name: name, Op: op})
	}
	return events
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func opOf(m uint32) Op {
	var op Op
	for _, p := range [...]struct {
		bit uint32
		op  Op
	}{
		{unix.IN_CREATE, Create}, {unix.IN_MODIFY, Modify}, {unix.IN_CLOSE_WRITE, CloseWrite},
		{unix.IN_ATTRIB, Attrib}, {unix.IN_DELETE, Remove}, {unix.IN_MOVED_FROM, MovedFrom},
		{unix.IN_MOVED_TO, MovedTo}, {unix.IN_ISDIR, IsDir},
		{unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_UNMOUNT | unix.IN_IGNORED, Gone},
	} {
		if m&p.bit != 0 {
			op |= p.op
		}
	}
	if op == IsDir {
		return 0 // nothing but the flag
	}
	return op
}

// Close releases the descriptor and every watch with it; a Read in
// progress returns ErrClosed.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	clear(w.byWD)
	clear(w.byPath)
	w.mu.Unlock()
	return w.file.Close()
}

package deps

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/watchman/sockfile"
)

// ChildPreset is the --deps-from value that lets COMMAND declare its files.
const ChildPreset = "child"

// SocketEnv names the variable that gives COMMAND the channel's socket.
const SocketEnv = "AUTORELOAD_DEPS_SOCKET"

// commandWait is how long a peer that is not (yet) in COMMAND's tree may
// wait for the start of a new COMMAND to be known: the "started" report
// can come after COMMAND's first processes connect.
const commandWait = time.Second

// Channel is the Unix stream socket on which COMMAND's processes declare
// the files COMMAND uses, one path a line (see Builder.AddLine, but a
// path that does not exist is taken as a file). Only a process of the
// current COMMAND's tree, running as the same user, is heard; the socket
// lies in a directory only the user can enter.
//
// The set is what the current COMMAND's tree declared; what the previous
// one declared counts until the new one declares something.
type Channel struct {
	dir, path string
	wd        string
	ln        *os.File // a listening socket on Go's poller
	log       *slog.Logger

	mu      sync.Mutex
	command int           // the current COMMAND's pid; 0 before its start
	started chan struct{} // closed and replaced at each start
	gen     int           // the COMMAND whose declarations build cur
	cur     Builder
}

// Command is the current COMMAND's pid (0 before it starts): when the
// last Result came from another, the current one may yet declare.
func (c *Channel) Command() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.command
}

// Listen makes the socket in a new private directory; wd is where relative
// paths are from, log gets the refusals (nil discards them).
func Listen(wd string, log *slog.Logger) (*Channel, error) {
	if err := ChildSupported(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "autoreload-deps-")
	if err != nil {
		return nil, fmt.Errorf("deps channel: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("deps channel: %w", err)
	}
	path := filepath.Join(dir, "deps.sock")
	ln, err := sockfile.Listen(&syscall.SockaddrUnix{Name: path})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("deps channel: %w", err)
	}
	return &Channel{dir: dir, path: path, wd: wd, ln: ln, log: log, started: make(chan struct{})}, nil
}

// Env is the variable COMMAND gets: NAME=PATH.
func (c *Channel) Env() string { return SocketEnv + "=" + c.path }

// Path is the socket's path.
func (c *Channel) Path() string { return c.path }

// Started tells the channel COMMAND's new pid: from now on only its tree
// is heard.
func (c *Channel) Started(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.command = pid
	close(c.started)
	c.started = make(chan struct{})
}

// Close stops listening and removes the socket's directory.
func (c *Channel) Close() error {
	err := c.ln.Close()
	return errors.Join(err, os.RemoveAll(c.dir))
}

// Serve accepts declarations until ctx ends or Close, sending the set
// each time a declaring connection ends having added paths to it.
func (c *Channel) Serve(ctx context.Context, out chan<- Result) {
	stop := context.AfterFunc(ctx, func() { c.ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := sockfile.Accept(c.ln)
		if err != nil {
			return
		}
		wg.Go(func() {
			defer conn.Close()
			defer context.AfterFunc(ctx, func() { conn.Close() })()
			c.serveConn(ctx, conn, out)
		})
	}
}

// MsgRefused is the warning logged for a connection the channel turns
// away (pid, error).
const MsgRefused = "deps refused"

// serveConn checks the peer, then reads its lines into the set.
func (c *Channel) serveConn(ctx context.Context, conn *os.File, out chan<- Result) {
	start := time.Now()
	peer, err := peerOf(conn)
	if err != nil {
		c.log.Warn(MsgRefused, "error", err.Error())
		return
	}
	gen, why := c.admit(ctx, peer)
	if gen == 0 {
		c.log.Warn(MsgRefused, "pid", peer.pid, "error", why)
		return
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	added := 0
	for sc.Scan() {
		if c.declare(gen, sc.Text()) {
			added++
		}
	}
	if added == 0 {
		return
	}
	c.mu.Lock()
	if c.gen != gen { // a newer COMMAND has begun declaring: this one's words are stale
		c.mu.Unlock()
		return
	}
	set := c.cur.Set()
	c.mu.Unlock()
	select {
	case out <- Result{Source: ChildPreset, Set: set, Started: start, Duration: time.Since(start), Command: gen}:
	case <-ctx.Done():
	}
}

// admit returns the COMMAND pid the peer belongs to, or 0 and why not.
func (c *Channel) admit(ctx context.Context, p peer) (int, string) {
	if p.uid != os.Getuid() {
		return 0, fmt.Sprintf("runs as user %d", p.uid)
	}
	deadline := time.NewTimer(commandWait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		command, started := c.command, c.started
		c.mu.Unlock()
		if command != 0 && inTree(p.pid, command) {
			return command, ""
		}
		select {
		case <-started: // a new COMMAND: look again
		case <-deadline.C:
			return 0, "not a process of COMMAND's tree"
		case <-ctx.Done():
			return 0, "stopping"
		}
	}
}

// declare adds one line from COMMAND gen; it reports whether it named a path.
func (c *Channel) declare(gen int, line string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.command {
		return false // an old COMMAND's, still talking
	}
	if c.gen != gen {
		c.gen, c.cur = gen, Builder{Dir: c.wd}
	}
	if err := c.cur.AddLine(line); err != nil {
		// Declared before it exists (a file COMMAND will write): a file.
		c.cur.AddFile(line)
	}
	return strings.TrimSpace(line) != ""
}

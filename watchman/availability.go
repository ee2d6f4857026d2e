package watchman

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// FindSocket returns the daemon's socket: WATCHMAN_SOCK, else what `binary
// get-sockname` prints. Like Django's and Watchman's own clients it lets
// get-sockname start the service on demand; it is meant for start-up only,
// and is bounded by timeout. binary "" means "watchman".
func FindSocket(ctx context.Context, binary string, timeout time.Duration) (string, error) {
	if s := os.Getenv("WATCHMAN_SOCK"); s != "" {
		return s, nil
	}
	if binary == "" {
		binary = "watchman"
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", unavailable("", ReasonNoBinary, fmt.Errorf("%s not found in PATH", binary))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "get-sockname")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	// A spawning watchman may leave a grandchild holding our pipes; do not
	// wait for it past the timeout.
	cmd.WaitDelay = 100 * time.Millisecond
	err = cmd.Run()
	if ctx.Err() != nil {
		return "", unavailable(binary+" get-sockname", ReasonTimeout, fmt.Errorf("no answer within %s", timeout))
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", unavailable(binary+" get-sockname", ReasonNoSocket, errors.New(msg))
	}
	var reply struct {
		Sockname string `json:"sockname"`
	}
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil || reply.Sockname == "" {
		return "", unavailable(binary+" get-sockname", ReasonNoSocket, fmt.Errorf("no socket name in %q", oneLine(out.String())))
	}
	return reply.Sockname, nil
}

// checkOwner refuses a socket that belongs to another user: its daemon would
// see (and could feed us) another user's view of the files.
func checkOwner(sock string) error {
	fi, err := os.Stat(sock)
	if err != nil {
		return unavailable("connect "+sock, ReasonNoSocket, unwrapPathError(err))
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return unavailable(sock, ReasonForeignSocket, fmt.Errorf("owned by uid %d, we are uid %d", st.Uid, me))
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Check connects to the socket and decides, as Django's check_availability
// does, whether the daemon can serve us: it answers list-capabilities within
// timeout, its version is 4.9 or later, and it has every capability we use.
// It never starts a daemon.
func Check(ctx context.Context, sock string, timeout time.Duration) error {
	c, err := connect(ctx, sock, timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

// Conn is a connection to a daemon that passed Check, kept for a Subscribe
// to take over (Options.Conn): deciding that Watchman is usable and
// subscribing then cost one connection and one handshake.
type Conn struct {
	c atomic.Pointer[conn] // nil once taken over or closed
}

// Connect is Check that keeps the connection for a Subscribe. The caller
// closes it if no Subscribe takes it over.
func Connect(ctx context.Context, sock string, timeout time.Duration) (*Conn, error) {
	c, err := connect(ctx, sock, timeout)
	if err != nil {
		return nil, err
	}
	cn := &Conn{}
	cn.c.Store(c)
	return cn, nil
}

// take hands the connection over, once; nil after that, or for a nil Conn.
func (cn *Conn) take() *conn {
	if cn == nil {
		return nil
	}
	return cn.c.Swap(nil)
}

// Close closes the connection unless a Subscribe took it over; any number
// of times, from any goroutine.
func (cn *Conn) Close() error {
	if c := cn.take(); c != nil {
		return c.Close()
	}
	return nil
}

// connect is Check that keeps the connection open for the caller.
func connect(ctx context.Context, sock string, timeout time.Duration) (*conn, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if err := checkOwner(sock); err != nil {
		return nil, err
	}
	c, err := dial(ctx, sock, timeout)
	if err != nil {
		return nil, err
	}
	if err := c.checkCapabilities(ctx, timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *conn) checkCapabilities(ctx context.Context, timeout time.Duration) error {
	op := "list-capabilities " + c.sock
	pdu, err := c.request(ctx, op, listCapabilitiesRequest(), timeout)
	if err != nil {
		return err
	}
	version, names, err := parseCapabilities(pdu)
	if err != nil {
		return unavailable(op, ReasonProtocol, err)
	}
	if !atLeast(version, 4, 9) {
		v := version
		if v == "" {
			v = "unknown"
		}
		return unavailable(op, ReasonOldVersion, fmt.Errorf("version %s, need 4.9 or later", v))
	}
	have := make(map[string]bool, len(names))
	for _, name := range names {
		have[name] = true
	}
	var missing []string
	for _, name := range required {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return unavailable(op, ReasonCapability, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	if have["bser-v2"] {
		c.enc = encBSER // from the next request on
	}
	return nil
}

// atLeast compares a dotted version ("4.9.0", or a date-based
// "2024.01.22.00") with major.minor.
func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

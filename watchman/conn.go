package watchman

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/autoreload/autoreload/watchman/bser"
	"github.com/autoreload/autoreload/watchman/sockfile"
)

// conn is one connection to the daemon, in JSON or BSER (enc). Unlike
// the protocol library's Connection it can be bounded: every request has a deadline or a
// context, replies are capped, and Close works at any moment (it unblocks a
// pending read). Requests (protocol.go, requests.go) are encoded here and
// nowhere else.
//
// Reads happen either synchronously in request (before a subscription's
// reader goroutine starts) or only in that goroutine (after); writes are
// serialised by wmu.
type conn struct {
	sock string
	nc   *os.File // non-blocking, so its deadlines work
	r    *bufio.Reader
	// enc is set before the connection is shared: by checkCapabilities, or
	// by whoever dials a daemon already known to speak BSER.
	enc encoding
	buf []byte // BSER bodies up to keptBuffer, reused
	wmu sync.Mutex
	// queued holds unilateral PDUs read while waiting for a reply during
	// set-up: replies and notifications share the connection.
	queued []response
}

// dial connects to the socket within timeout. Connection refused or a
// missing socket file means no daemon runs there.
func dial(ctx context.Context, sock string, timeout time.Duration) (*conn, error) {
	nc, err := sockfile.DialUnix(ctx, sock, timeout)
	if err != nil {
		if isTimeout(err) {
			return nil, unavailable("connect "+sock, ReasonTimeout, err)
		}
		return nil, unavailable("connect "+sock, ReasonNoSocket, bareCause(err))
	}
	return &conn{sock: sock, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}, nil
}

// bareCause drops what the file's error repeats around the system call's
// (read /path/sock: …, connect: …), since our messages name the socket.
func bareCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// isTimeout reports a deadline that ran out.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func (c *conn) Close() error { return c.nc.Close() }

// send writes one request in the connection's encoding.
func (c *conn) send(req request, deadline time.Time) error {
	if c.enc == encBSER {
		if err := checkPaths(req.Args()); err != nil {
			return err
		}
	}
	b, err := encodeRequest(c.enc, req.Args())
	if err != nil {
		return fmt.Errorf("encode %v: %w", req.Args()[0], err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(deadline)
	_, err = c.nc.Write(b)
	return err
}

// recv reads and decodes one PDU, with the read deadline given (zero: none).
// each, when not nil, is handed the entries of a BSER PDU's "files" as they
// are read (readBSEREach).
func (c *conn) recv(deadline time.Time, each func(*bser.Elem) error) (response, error) {
	c.nc.SetReadDeadline(deadline)
	var v any
	var err error
	switch {
	case c.enc == encBSER && each != nil:
		v, err = readBSEREach(c.r, maxReply, each)
	case c.enc == encBSER:
		v, err = readBSER(c.r, maxReply, &c.buf)
	default:
		v, err = readJSON(c.r, maxReply)
	}
	if err != nil {
		releaseMemory(err)
		return nil, err
	}
	return pduOf(v)
}

// request sends req and returns its reply, queueing the notifications that
// arrive first. A zero timeout means no deadline (the first crawl); ctx
// cancellation closes the connection. Every failure is an ErrUnavailable
// naming op.
func (c *conn) request(ctx context.Context, op string, req request, timeout time.Duration) (response, error) {
	return c.exchange(ctx, op, req, timeout, nil)
}

// requestFiles is request for a reply listing files, a whole tree's worth
// at times: fn is handed each entry of its "files", which must be objects,
// and the reply comes back without them (BSER: each left encoded, read from
// the socket as it arrives, never held together; JSON: decoded, after the
// line). No subscription may be active on the connection: the files of a
// notification arriving first would go to fn as well (that is an error).
func (c *conn) requestFiles(ctx context.Context, op string, req request, timeout time.Duration, fn func(fileFields) error) (response, error) {
	pdu, err := c.exchange(ctx, op, req, timeout, eachElem(fn))
	if err != nil {
		return nil, err
	}
	if err := filesLeft(pdu, fn); err != nil {
		return nil, unavailable(op, ReasonProtocol, err)
	}
	return pdu, nil
}

// exchange is request, handing the entries of BSER "files" to each as
// they are read when each is not nil.
func (c *conn) exchange(ctx context.Context, op string, req request, timeout time.Duration, each func(*bser.Elem) error) (response, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.send(req, deadline); err != nil {
		return nil, c.classify(ctx, op, err)
	}
	for {
		pdu, err := c.recv(deadline, each)
		if err != nil {
			return nil, c.classify(ctx, op, err)
		}
		if _, listed := pdu["files"].(bser.Listed); listed && pdu.unilateral() {
			return nil, unavailable(op, ReasonProtocol, errors.New("a notification listing files came before the reply"))
		}
		if pdu.unilateral() {
			c.queued = append(c.queued, pdu)
			continue
		}
		return pdu, nil
	}
}

// classify turns a transport or decoding failure into an ErrUnavailable.
func (c *conn) classify(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, context.Cause(ctx))
	}
	return classify(op, err)
}

func classify(op string, err error) error {
	var ce *CommandError
	switch {
	case errors.As(err, &ce):
		return unavailable(op, ReasonRefused, err)
	case isTimeout(err):
		return unavailable(op, ReasonTimeout, errors.New("no answer within the timeout"))
	case errors.Is(err, errReplyTooLong), errors.Is(err, errMalformed):
		return unavailable(op, ReasonProtocol, err)
	case isDisconnect(err):
		return unavailable(op, ReasonDisconnected, bareCause(err))
	default:
		return unavailable(op, ReasonProtocol, err)
	}
}

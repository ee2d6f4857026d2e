package bser_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/bser"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// rawClient speaks BSER to a real daemon and keeps the exact bytes of every
// PDU it reads, for the golden files.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialDaemon(t testing.TB, d *watchmantest.Daemon) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("unix", d.Sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// send encodes args as a PDU of version ver and writes it.
func (c *rawClient) send(ver bser.Version, args ...any) {
	c.t.Helper()
	pdu, err := bser.Encode(args, ver, 0)
	if err != nil {
		c.t.Fatalf("encode %v: %v", args[0], err)
	}
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(pdu); err != nil {
		c.t.Fatalf("send %v: %v", args[0], err)
	}
}

// next reads one PDU within 10 s and returns its raw bytes and its value.
func (c *rawClient) next() ([]byte, map[string]any) {
	c.t.Helper()
	var raw bytes.Buffer
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, body, err := bser.Read(io.TeeReader(c.r, &raw), 64<<20, nil)
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	v, err := bser.Decode(body)
	if err != nil {
		c.t.Fatalf("decode reply: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.t.Fatalf("reply is %T, not an object", v)
	}
	return raw.Bytes(), m
}

// reply sends a command and returns its reply, skipping unilateral PDUs.
func (c *rawClient) reply(ver bser.Version, args ...any) ([]byte, map[string]any) {
	c.t.Helper()
	c.send(ver, args...)
	for {
		raw, m := c.next()
		if u, _ := m["unilateral"].(bool); !u {
			return raw, m
		}
	}
}

// realRoot is a fresh directory under a short temporary path, with symlinks
// resolved as the daemon reports them.
func realRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, filepath.Join(root, ".watchmanconfig"), "{}")
	return root
}

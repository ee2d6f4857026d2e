package watchmantest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// CommandTimeout bounds one raw command: dial, send and the reply.
const CommandTimeout = 30 * time.Second

// Command sends one command on a fresh connection and returns the decoded
// reply; a reply carrying "error" is returned as an error. Numbers decode as
// json.Number. Commands whose effect is tied to the connection (state-enter)
// need Dial instead: the daemon abandons the state when the connection closes.
func (d *Daemon) Command(args ...any) (map[string]any, error) {
	return d.command(CommandTimeout, args...)
}

// MustCommand is Command that fails the test on an error.
func (d *Daemon) MustCommand(args ...any) map[string]any {
	d.t.Helper()
	r, err := d.Command(args...)
	if err != nil {
		d.t.Fatalf("watchmantest: %v", err)
	}
	return r
}

func (d *Daemon) command(timeout time.Duration, args ...any) (map[string]any, error) {
	c, err := dial(d.Sock, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.timeout = timeout
	return c.Command(args...)
}

// Client is a raw, persistent connection to the daemon, for commands that
// hold state on their connection (state-enter ... state-leave).
type Client struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

// Dial opens a persistent connection, closed at the end of the test.
func (d *Daemon) Dial() *Client {
	d.t.Helper()
	c, err := dial(d.Sock, CommandTimeout)
	if err != nil {
		d.t.Fatalf("watchmantest: %v", err)
	}
	d.t.Cleanup(func() { c.Close() })
	return c
}

func dial(sock string, timeout time.Duration) (*Client, error) {
	conn, err := net.DialTimeout("unix", sock, timeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", sock, err)
	}
	return &Client{conn: conn, r: bufio.NewReader(conn), timeout: CommandTimeout}, nil
}

// Command sends one command and returns its reply, skipping unilateral
// notifications.
func (c *Client) Command(args ...any) (map[string]any, error) {
	name := fmt.Sprint(args[0])
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	defer c.conn.SetDeadline(time.Time{})
	if _, err := c.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for {
		line, err := c.r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var reply map[string]any
		if err := dec.Decode(&reply); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if u, _ := reply["unilateral"].(bool); u {
			continue
		}
		if e, ok := reply["error"]; ok {
			return reply, fmt.Errorf("%s: %v", name, e)
		}
		return reply, nil
	}
}

// Close closes the connection; the daemon abandons states asserted on it.
func (c *Client) Close() error { return c.conn.Close() }

package watchmantest

import (
	"fmt"
	"time"

	"github.com/autoreload/autoreload/watchman/bser"
)

// CommandBSER is Command in BSER v2, as the client speaks to 4.9: names that
// are not UTF-8 travel as their bytes (4.9 never answers a JSON command
// whose reply holds one). Integers decode as int64.
func (d *Daemon) CommandBSER(args ...any) (map[string]any, error) {
	c, err := dial(d.Sock, CommandTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.CommandBSER(args...)
}

// MustCommandBSER is CommandBSER that fails the test on an error.
func (d *Daemon) MustCommandBSER(args ...any) map[string]any {
	d.t.Helper()
	r, err := d.CommandBSER(args...)
	if err != nil {
		d.t.Fatalf("watchmantest: %v", err)
	}
	return r
}

// CommandBSER sends one command in BSER v2 and returns its reply, skipping
// unilateral notifications. A reply holding "error" is returned as an
// error. Do not send a command that may fail with an argument that is not
// UTF-8: 4.9 dies on it (SIGSEGV).
func (c *Client) CommandBSER(args ...any) (map[string]any, error) {
	name := fmt.Sprint(args[0])
	pdu, err := bser.Encode(args, bser.V2, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	defer c.conn.SetDeadline(time.Time{})
	if _, err := c.conn.Write(pdu); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for {
		_, body, err := bser.Read(c.r, 64<<20, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		v, err := bser.Decode(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		reply, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: reply is %T, not an object", name, v)
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

package watchman

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeDaemon is a Unix socket that answers each command with a scripted raw
// line, to inject replies a real daemon cannot be made to send. A command
// without a script gets a plausible Watchman 4.9 reply.
type fakeDaemon struct {
	sock string
	// replies maps a command name to the raw bytes sent back ("" sends
	// nothing and leaves the connection open: a hung daemon).
	replies map[string]string
	// after maps a command name to raw bytes sent right after its reply
	// (unilateral notifications).
	after map[string]string

	ln      net.Listener
	mu      sync.Mutex
	lastSub string // the name of the latest subscribe, for "$SUB"
	conns   []net.Conn
	wg      sync.WaitGroup
}

func fake(t *testing.T, replies, after map[string]string) *fakeDaemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "wmfake")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDaemon{sock: filepath.Join(dir, "sock"), replies: replies, after: after}
	if f.ln, err = net.Listen("unix", f.sock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
		os.RemoveAll(dir)
	})
	f.wg.Add(1)
	go f.serve()
	return f
}

func (f *fakeDaemon) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.handle(c)
	}
}

func (f *fakeDaemon) handle(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		var args []any
		if json.Unmarshal(line, &args) != nil || len(args) == 0 {
			return
		}
		name, _ := args[0].(string)
		f.mu.Lock()
		if name == "subscribe" && len(args) > 2 {
			f.lastSub, _ = args[2].(string)
		}
		out, ok := f.replies[name]
		more := f.after[name]
		sub := f.lastSub
		f.mu.Unlock()
		if !ok {
			out = defaultReply(name, args)
		}
		out = strings.ReplaceAll(out, "$SUB", sub)
		more = strings.ReplaceAll(more, "$SUB", sub)
		if out == "" {
			// Hung: keep reading so the client's writes never block.
			continue
		}
		if rest, ok := strings.CutSuffix(out, closeConn); ok {
			c.Write([]byte(rest))
			return
		}
		if _, err := c.Write([]byte(out)); err != nil {
			return
		}
		if more != "" {
			if rest, ok := strings.CutSuffix(more, closeConn); ok {
				c.Write([]byte(rest))
				return
			}
			c.Write([]byte(more))
		}
	}
}

// closeConn at the end of a scripted reply closes the connection after it.
const closeConn = "<close>"

func defaultReply(name string, args []any) string {
	switch name {
	case "list-capabilities":
		return capabilitiesReply("4.9.0", required)
	case "watch-project":
		return `{"version":"4.9.0","watch":` + quote(args[1]) + "}\n"
	case "clock":
		return `{"version":"4.9.0","clock":"c:1:2:3:4"}` + "\n"
	case "subscribe":
		return `{"version":"4.9.0","clock":"c:1:2:3:4","subscribe":` + quote(args[2]) + "}\n"
	case "get-pid":
		return `{"version":"4.9.0","pid":1}` + "\n"
	case "unsubscribe":
		return `{"version":"4.9.0","deleted":true,"unsubscribe":` + quote(args[2]) + "}\n"
	}
	return `{"version":"4.9.0","error":"unknown command ` + name + `"}` + "\n"
}

func capabilitiesReply(version string, caps []string) string {
	b, _ := json.Marshal(map[string]any{"version": version, "capabilities": caps})
	return string(b) + "\n"
}

func quote(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// notification builds a unilateral PDU for the subscription the client
// made last ("$SUB" is replaced by its name when sent).
func notification(fields map[string]any) string {
	m := map[string]any{"unilateral": true, "subscription": "$SUB", "version": "4.9.0", "root": "/"}
	for k, v := range fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b) + "\n"
}

func oneLineError(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

package watchman

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/autoreload/autoreload/watchman/bser"
)

// fakeDaemon is a Unix socket that answers each command with a scripted raw
// line, to inject replies a real daemon cannot be made to send. A command
// without a script gets a plausible Watchman 4.9 reply.
//
// A fake made by fakeBSER lists bser-v2, as 4.9 does, and answers a BSER
// request in BSER: each scripted line that is JSON is sent as the BSER PDU
// of the same value (files lists as templates, as the daemon sends them);
// anything else (garbage, or raw BSER) is sent as it is.
type fakeDaemon struct {
	sock string
	bser bool
	// replies maps a command name to the raw bytes sent back ("" sends
	// nothing and leaves the connection open: a hung daemon).
	replies map[string]string
	// after maps a command name to raw bytes sent right after its reply
	// (unilateral notifications).
	after map[string]string
	// streams maps a command name to a writer of its reply, for replies too
	// large to script (set before the client connects).
	streams map[string]func(io.Writer)

	ln      net.Listener
	mu      sync.Mutex
	lastSub string // the name of the latest subscribe, for "$SUB"
	conns   []net.Conn
	wg      sync.WaitGroup
}

func fake(t *testing.T, replies, after map[string]string) *fakeDaemon {
	t.Helper()
	return newFake(t, false, replies, after)
}

// fakeBSER is fake for a daemon that speaks BSER.
func fakeBSER(t *testing.T, replies, after map[string]string) *fakeDaemon {
	t.Helper()
	return newFake(t, true, replies, after)
}

func newFake(t *testing.T, speaksBSER bool, replies, after map[string]string) *fakeDaemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "wmfake")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDaemon{sock: filepath.Join(dir, "sock"), bser: speaksBSER, replies: replies, after: after}
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
		args, inBSER, err := readRequest(r)
		if err != nil || len(args) == 0 {
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
		stream := f.streams[name]
		f.mu.Unlock()
		if stream != nil {
			stream(c)
			continue
		}
		if !ok {
			out = f.defaultReply(name, args)
		}
		out = strings.ReplaceAll(out, "$SUB", sub)
		more = strings.ReplaceAll(more, "$SUB", sub)
		if out == "" {
			// Hung: keep reading so the client's writes never block.
			continue
		}
		for _, script := range []string{out, more} {
			rest, closing := strings.CutSuffix(script, closeConn)
			if inBSER {
				rest = toBSER(rest)
			}
			if _, err := c.Write([]byte(rest)); err != nil || closing {
				return
			}
		}
	}
}

// readRequest reads one request in either encoding, as the daemon does.
func readRequest(r *bufio.Reader) (args []any, inBSER bool, err error) {
	first, err := r.Peek(1)
	if err != nil {
		return nil, false, err
	}
	if first[0] == 0 {
		_, body, err := bser.Read(r, maxReply, nil)
		if err != nil {
			return nil, true, err
		}
		v, err := bser.Decode(body)
		args, _ = v.([]any)
		return args, true, err
	}
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, false, err
	}
	err = json.Unmarshal(line, &args)
	return args, false, err
}

// toBSER turns each scripted line that is JSON into the BSER PDU of its
// value, leaving other bytes as they are.
func toBSER(script string) string {
	var out strings.Builder
	for line := range strings.Lines(script) {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var v any
		if !strings.HasSuffix(line, "\n") || dec.Decode(&v) != nil {
			out.WriteString(line)
			continue
		}
		pdu, err := bser.Encode(asDaemonSends(v, ""), bser.V2, 0)
		if err != nil {
			panic(err)
		}
		out.Write(pdu)
	}
	return out.String()
}

// asDaemonSends gives a JSON value the types Watchman's BSER has: integers
// and reals, and a files list of objects as a template.
func asDaemonSends(v any, key string) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, x := range v {
			v[k] = asDaemonSends(x, k)
		}
		return v
	case []any:
		var objs []map[string]any
		fields := map[string]bool{}
		for i, x := range v {
			v[i] = asDaemonSends(x, "")
			if m, ok := v[i].(map[string]any); ok {
				objs = append(objs, m)
				for k := range m {
					fields[k] = true
				}
			}
		}
		if key != "files" || len(objs) == 0 || len(objs) != len(v) {
			return v
		}
		t := bser.Template{Objects: objs}
		for k := range fields {
			t.Fields = append(t.Fields, k)
		}
		slices.Sort(t.Fields)
		return t
	}
	return v
}

// closeConn at the end of a scripted reply closes the connection after it.
const closeConn = "<close>"

func (f *fakeDaemon) defaultReply(name string, args []any) string {
	switch name {
	case "list-capabilities":
		if f.bser {
			return capabilitiesReply("4.9.0", append(slices.Clone(required), "bser-v2"))
		}
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

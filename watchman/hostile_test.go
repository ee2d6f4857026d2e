package watchman

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// Faults during and after set-up, from a fake daemon, in JSON and in BSER
// (the fake then lists bser-v2 and answers in BSER, garbage as it is).
func TestHostileSubscription(t *testing.T) {
	cases := []struct {
		name           string
		replies, after map[string]string
		want           Reason
	}{
		{"watch-project garbage", map[string]string{"watch-project": "}{\n"}, nil, ReasonProtocol},
		{"watch-project without watch", map[string]string{"watch-project": `{"version":"4.9.0"}` + "\n"}, nil, ReasonProtocol},
		{"clock hangs", map[string]string{"clock": ""}, nil, ReasonTimeout},
		{"clock non-string error", map[string]string{"clock": `{"error":["x"]}` + "\n"}, nil, ReasonProtocol},
		{"subscribe refused", map[string]string{"subscribe": `{"error":"nope"}` + "\n"}, nil, ReasonRefused},
		{"subscribe EOF", map[string]string{"subscribe": closeConn}, nil, ReasonDisconnected},
	}
	after := func(note string) map[string]string { return map[string]string{"subscribe": note} }
	notifyCases := []struct {
		name string
		note string
		want Reason
	}{
		{"garbage notification", "\xff\xfe garbage\n", ReasonProtocol},
		{"files not a list", notification(map[string]any{"files": "x"}), ReasonProtocol},
		{"file not an object", notification(map[string]any{"files": []any{1}}), ReasonProtocol},
		{"name not a string", notification(map[string]any{"files": []any{map[string]any{"name": 7}}}), ReasonProtocol},
		{"name escapes the root", notification(map[string]any{"files": []any{map[string]any{"name": "a/../../etc/passwd"}}}), ReasonProtocol},
		{"absolute name", notification(map[string]any{"files": []any{map[string]any{"name": "/etc/passwd"}}}), ReasonProtocol},
		{"exists not a bool", notification(map[string]any{"files": []any{map[string]any{"name": "a", "exists": "yes"}}}), ReasonProtocol},
		{"mtime not a number", notification(map[string]any{"files": []any{map[string]any{"name": "a", "mtime_ns": "1"}}}), ReasonProtocol},
		{"mtime overflows", notification(map[string]any{"files": []any{map[string]any{"name": "a", "mtime_ns": 1e300}}}), ReasonProtocol},
		{"warning not a string", notification(map[string]any{"warning": 1, "files": []any{}}), ReasonProtocol},
		{"canceled", notification(map[string]any{"canceled": true}), ReasonCanceled},
		{"unilateral error", `{"unilateral":true,"error":"boom"}` + "\n", ReasonRefused},
		{"reply to no request", `{"version":"4.9.0"}` + "\n", ReasonProtocol},
		{"truncated then EOF", `{"unilateral":true,"subscr` + closeConn, ReasonDisconnected},
		{"line cut short", `{"unilateral":true,"subscr` + "\n", ReasonProtocol},
		// BSER only (in JSON they are garbage lines).
		{"bser truncated PDU then EOF", bserPrefix(notification(map[string]any{"files": []any{}}), 20) + closeConn, ReasonDisconnected},
		{"bser length prefix of 2 GB", "\x00\x02\x00\x00\x00\x00\x05\xff\xff\xff\x7f", ReasonProtocol},
		{"bser length prefix of 2^62", "\x00\x01\x06\x00\x00\x00\x00\x00\x00\x00\x40", ReasonProtocol},
		{"bser negative length", "\x00\x02\x00\x00\x00\x00\x03\xf0", ReasonProtocol},
		{"bser unknown type", "\x00\x02\x00\x00\x00\x00\x03\x01\x0e", ReasonProtocol},
		{"bser not an object", "\x00\x02\x00\x00\x00\x00\x03\x03\x00\x03\x00", ReasonProtocol},
		{"bser value cut short in a whole PDU", "\x00\x02\x00\x00\x00\x00\x03\x02\x00\x03", ReasonProtocol},
		{"bser bad magic", "\x00\x07 garbage", ReasonProtocol},
		{"bser silence inside a PDU", "\x00\x02\x00\x00\x00\x00\x03\x64\x01\x03", ReasonTimeout},
	}
	for _, nc := range notifyCases {
		cases = append(cases, struct {
			name           string
			replies, after map[string]string
			want           Reason
		}{nc.name, nil, after(nc.note), nc.want})
	}
	for _, tc := range cases {
		hostileInBoth(t, tc.name, tc.replies, tc.after, tc.want, Options{})
	}
}

// hostileInBoth runs hostileCase against a fake speaking JSON and one
// speaking BSER; a case named "bser …" runs in BSER only, and "truncated
// then EOF" in JSON only (in the other encoding, one more garbage case).
func hostileInBoth(t *testing.T, name string, replies, after map[string]string, want Reason, opts Options) {
	for _, inBSER := range []bool{false, true} {
		sub, f := name+"/json", fake
		if inBSER {
			sub, f = name+"/bser", fakeBSER
		}
		if !inBSER && strings.HasPrefix(name, "bser ") || inBSER && name == "truncated then EOF" {
			continue
		}
		t.Run(sub, func(t *testing.T) { hostileCase(t, f(t, replies, after), inBSER, want, opts) })
	}
}

// Faults in the catch-up query's reply, which BSER decodes from the socket
// as it arrives (conn.requestFiles). A notification listing files cannot
// come before it, every catch-up running before the first subscription;
// one that did would have had its files taken for the reply's, so it fails
// the start-up rather than lose or invent a change.
func TestHostileCatchUp(t *testing.T) {
	reply := func(fields string) map[string]string {
		return map[string]string{"query": `{"version":"4.9.0","clock":"c:1:2:3:9"` + fields + "}\n"}
	}
	file := func(f string) string { return `,"files":[{"name":"a","exists":true` + f + `}]` }
	cases := []struct {
		name    string
		replies map[string]string
		want    Reason
	}{
		{"query hangs", map[string]string{"query": ""}, ReasonTimeout},
		{"query refused", map[string]string{"query": `{"error":"nope"}` + "\n"}, ReasonRefused},
		{"without files", reply(""), ReasonProtocol},
		{"without a clock", map[string]string{"query": `{"version":"4.9.0","files":[]}` + "\n"}, ReasonProtocol},
		{"files not a list", reply(`,"files":"x"`), ReasonProtocol},
		{"file not an object", reply(`,"files":[1]`), ReasonProtocol},
		// An entry changed before Since is dropped unread past its times;
		// one changed after it is read whole.
		{"name escapes the root", reply(`,"files":[{"name":"../x","mtime_ns":4000000000000000000}]`), ReasonProtocol},
		{"name not a string", reply(`,"files":[{"name":7,"mtime_ns":4000000000000000000}]`), ReasonProtocol},
		{"exists not a bool", reply(file(`,"exists":"yes"`)), ReasonProtocol},
		{"mtime not a number", reply(file(`,"mtime_ns":"1"`)), ReasonProtocol},
		{"ctime not a number", reply(file(`,"ctime_ns":"1"`)), ReasonProtocol},
		{"bser notification listing files first", map[string]string{"query": notification(map[string]any{
			"files": []any{map[string]any{"name": "a"}}}) + reply(`,"files":[]`)["query"]}, ReasonProtocol},
		{"bser truncated PDU then EOF", map[string]string{"query": bserPrefix(reply(file(""))["query"], 30) + closeConn}, ReasonDisconnected},
		{"bser value cut short in a whole PDU", map[string]string{"query": "\x00\x02\x00\x00\x00\x00\x03\x02\x00\x03"}, ReasonProtocol},
		{"bser silence inside a PDU", map[string]string{"query": "\x00\x02\x00\x00\x00\x00\x03\x64\x01\x03"}, ReasonTimeout},
	}
	for _, tc := range cases {
		hostileInBoth(t, tc.name, tc.replies, nil, tc.want, Options{Since: time.Now()})
	}
}

// bserPrefix is the first n bytes of a scripted JSON line sent as BSER.
func bserPrefix(line string, n int) string { return toBSER(line)[:n] }

// hostileCase subscribes through f and expects the subscription to fail
// for want, promptly.
func hostileCase(t *testing.T, f *fakeDaemon, inBSER bool, want Reason, opts Options) {
	const timeout = 300 * time.Millisecond
	start := time.Now()
	opts.Sock, opts.Timeout, opts.HealthInterval = f.sock, timeout, timeout
	s, err := Subscribe(t.Context(), newSpec(t, spec.Options{Watch: []string{t.TempDir()}}), opts)
	if err == nil {
		defer s.Close()
		if got := s.c.enc == encBSER; got != inBSER {
			t.Fatalf("speaking %v to the fake", s.c.enc)
		}
		err, _ = waitErr(t, s)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if r := reasonOf(t, err); r != want {
		t.Fatalf("reason %v (%v), want %v", r, err, want)
	}
	t.Log(err)
}

// A daemon that answers health requests may take longer than the timeout
// for the first crawl (watch-project); one that stops answering is caught.
func TestFirstCrawlNotBoundedByTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	f := fake(t, map[string]string{"watch-project": ""}, nil)
	spec := newSpec(t, spec.Options{Watch: []string{t.TempDir()}})
	done := make(chan error, 1)
	go func() {
		s, err := Subscribe(t.Context(), spec, Options{Sock: f.sock, Timeout: timeout, HealthInterval: 100 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	// The crawl "runs" for 4 timeouts while the daemon answers get-pid.
	select {
	case err := <-done:
		t.Fatalf("Subscribe ended during a live crawl: %v", err)
	case <-time.After(4 * timeout):
	}
	// Now the daemon hangs entirely: the watchdog notices.
	f.mu.Lock()
	f.replies["get-pid"] = ""
	f.mu.Unlock()
	select {
	case err := <-done:
		if r := reasonOf(t, err); r != ReasonTimeout {
			t.Fatalf("reason %v (%v), want %v", r, err, ReasonTimeout)
		}
	case <-time.After(wait):
		t.Fatal("a hung crawl was never noticed")
	}
}

// A JSON reply longer than the cap is refused having read no more than the
// cap; the next line is not touched by a reply within it.
func TestReadJSONCapped(t *testing.T) {
	src := &countingReader{r: strings.NewReader(`"` + strings.Repeat("x", 100) + "\"\n{}\n")}
	r := bufio.NewReaderSize(src, 16)
	if _, err := readJSON(r, 50); !errors.Is(err, errReplyTooLong) {
		t.Fatalf("err = %v, want errReplyTooLong", err)
	}
	if src.n > 50+16 {
		t.Fatalf("read %d bytes for a 50-byte cap", src.n)
	}
	r = bufio.NewReaderSize(strings.NewReader(`"`+strings.Repeat("y", 40)+"\"\n{}\n"), 16)
	v, err := readJSON(r, 50)
	if err != nil || v != strings.Repeat("y", 40) {
		t.Fatalf("readJSON = %q, %v", v, err)
	}
	if v, err := readJSON(r, 50); err != nil || len(v.(map[string]any)) != 0 {
		t.Fatalf("second line: %v, %v", v, err)
	}
}

// A line that does not decode is a malformed reply, skipped to its end so
// the next line decodes; a line cut short by the end of the connection is a
// disconnect.
func TestReadJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		in         string
		malformed  bool
		disconnect bool
	}{
		{`{"a":1}{"b":2}` + "\n{}\n", true, false},
		{`{"a":1} x` + "\n{}\n", true, false},
		{`}{` + "\n{}\n", true, false},
		{"  \n{}\n", true, false},
		{`{"a":` + "\n{}\n", true, false},
		{`{"a":`, false, true},
		{`{"a":1}`, false, true},
	} {
		r := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
		_, err := readJSON(r, 1<<10)
		if got := errors.Is(err, errMalformed); got != tc.malformed {
			t.Errorf("%q: %v, malformed %v, want %v", tc.in, err, got, tc.malformed)
		}
		if got := isDisconnect(err); got != tc.disconnect {
			t.Errorf("%q: %v, a disconnect %v, want %v", tc.in, err, got, tc.disconnect)
		}
		if tc.malformed {
			if v, err := readJSON(r, 1<<10); err != nil || len(v.(map[string]any)) != 0 {
				t.Errorf("%q: the next line gave %v, %v; want {}", tc.in, v, err)
			}
		}
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// Replies share the connection with notifications: a health reply that
// follows a notification must not be mistaken for it, nor lose it.
func TestHealthReplyAfterQueuedNotification(t *testing.T) {
	root := t.TempDir()
	note := notification(map[string]any{"files": []any{map[string]any{"name": "a.go", "exists": true}}})
	f := fake(t, map[string]string{"get-pid": note + `{"version":"4.9.0","pid":1}` + "\n"}, nil)
	s, err := Subscribe(t.Context(), newSpec(t, spec.Options{Watch: []string{root}}),
		Options{Sock: f.sock, Timeout: time.Second, HealthInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		b := next(t, s)
		if len(b.Changes) != 1 || b.Changes[0].Path != root+"/a.go" {
			t.Fatalf("batch %+v, want %s/a.go", b, root)
		}
	}
	if err := s.failure(); err != nil {
		t.Fatalf("subscription failed: %v", err)
	}
}

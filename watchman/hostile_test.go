package watchman

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// Faults during and after set-up, from a fake daemon.
func TestHostileSubscription(t *testing.T) {
	const timeout = 300 * time.Millisecond
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
	}
	for _, nc := range notifyCases {
		cases = append(cases, struct {
			name           string
			replies, after map[string]string
			want           Reason
		}{nc.name, nil, after(nc.note), nc.want})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t, tc.replies, tc.after)
			spec := newSpec(t, spec.Options{Watch: []string{t.TempDir()}})
			start := time.Now()
			s, err := Subscribe(t.Context(), spec, Options{Sock: f.sock, Timeout: timeout, HealthInterval: timeout})
			if err == nil {
				defer s.Close()
				err, _ = waitErr(t, s)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if r := reasonOf(t, err); r != tc.want {
				t.Fatalf("reason %v (%v), want %v", r, err, tc.want)
			}
			t.Log(err)
		})
	}
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

func TestReadLineCapped(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 100)+"\nok\n"), 16)
	if _, _, err := readLine(r, nil, 50); !errors.Is(err, errReplyTooLong) {
		t.Fatalf("err = %v, want errReplyTooLong", err)
	}
	r = bufio.NewReaderSize(strings.NewReader(strings.Repeat("y", 40)+"\n"), 16)
	line, _, err := readLine(r, nil, 50)
	if err != nil || string(line) != strings.Repeat("y", 40) {
		t.Fatalf("readLine = %q, %v", line, err)
	}
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

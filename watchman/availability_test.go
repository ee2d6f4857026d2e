package watchman

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

func reasonOf(t *testing.T, err error) Reason {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%v is not ErrUnavailable", err)
	}
	oneLineError(t, err)
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("%v is not an *UnavailableError", err)
	}
	return ue.Reason
}

func TestCheckRealDaemon(t *testing.T) {
	d := watchmantest.Start(t)
	if err := Check(t.Context(), d.Sock, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	d.Kill() // the socket file stays; connecting is refused
	if r := reasonOf(t, Check(t.Context(), d.Sock, 5*time.Second)); r != ReasonNoSocket {
		t.Fatalf("reason %v, want %v", r, ReasonNoSocket)
	}
}

// A Conn from Connect is taken over by one Subscribe, which makes no
// handshake of its own; a second Subscribe with it is refused, and Close
// after the take closes nothing. A Conn no Subscribe took is closed by
// Close.
func TestConnectThenSubscribeHandshakesOnce(t *testing.T) {
	d := watchmantest.Start(t)
	h := d.CountHandshakes(t)
	dir := project(t)
	s := newSpec(t, spec.Options{Watch: []string{dir}})
	c, err := Connect(t.Context(), h.Sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := Subscribe(t.Context(), s, Options{Conn: c, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if n := h.Count(); n != 1 {
		t.Errorf("%d handshakes for Connect and Subscribe, want 1", n)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after the take: %v", err)
	}
	write(t, filepath.Join(dir, "a.go"), "package a")
	collect(t, sub, filepath.Join(dir, "a.go")) // the connection is the subscription's
	if _, err := Subscribe(t.Context(), s, Options{Conn: c}); !errors.Is(err, errConnTaken) {
		t.Errorf("a second Subscribe with the Conn: %v, want errConnTaken", err)
	}

	unused, err := Connect(t.Context(), h.Sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := unused.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Subscribe(t.Context(), s, Options{Conn: unused}); !errors.Is(err, errConnTaken) {
		t.Errorf("Subscribe with a closed Conn: %v, want errConnTaken", err)
	}
}

func TestCheckFakeReplies(t *testing.T) {
	const timeout = 300 * time.Millisecond
	caps := func(drop string) []string {
		var out []string
		for _, c := range required {
			if c != drop {
				out = append(out, c)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		reply string
		want  Reason
	}{
		{"garbage", "\x00\xffnot json at all\n", ReasonProtocol},
		{"non-string error", `{"error":42,"version":"4.9.0"}` + "\n", ReasonProtocol},
		{"string error", `{"error":"go away\nnow","version":"4.9.0"}` + "\n", ReasonRefused},
		{"truncated line then hang", `{"version":"4.9.0","capa`, ReasonTimeout},
		{"nothing", "", ReasonTimeout},
		{"array", "[1,2]\n", ReasonProtocol},
		{"null", "null\n", ReasonProtocol},
		{"two objects", "{} {}\n", ReasonProtocol},
		{"non-string capability", `{"version":"4.9.0","capabilities":[1,{}]}` + "\n", ReasonProtocol},
		{"old version", capabilitiesReply("4.7.0", required), ReasonOldVersion},
		{"no version", `{"capabilities":[]}` + "\n", ReasonOldVersion},
		{"missing capability", capabilitiesReply("4.9.0", caps("relative_root")), ReasonCapability},
		{"newer date version", capabilitiesReply("2024.01.22.00", required), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t, map[string]string{"list-capabilities": tc.reply}, nil)
			start := time.Now()
			err := Check(t.Context(), f.sock, timeout)
			if took := time.Since(start); took > timeout+2*time.Second {
				t.Errorf("took %v with a %v timeout", took, timeout)
			}
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if r := reasonOf(t, err); r != tc.want {
				t.Fatalf("reason %v (%v), want %v", r, err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestCheckTruncatedLineThenClose(t *testing.T) {
	f := fake(t, map[string]string{"list-capabilities": `{"version":"4.9.0","capa` + closeConn}, nil)
	if r := reasonOf(t, Check(t.Context(), f.sock, 5*time.Second)); r != ReasonDisconnected {
		t.Fatalf("reason %v, want %v", r, ReasonDisconnected)
	}
}

func TestForeignSocketRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a socket to another user")
	}
	f := fake(t, nil, nil)
	if err := os.Chown(f.sock, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := Check(t.Context(), f.sock, time.Second)
	if r := reasonOf(t, err); r != ReasonForeignSocket {
		t.Fatalf("reason %v (%v), want %v", r, err, ReasonForeignSocket)
	}
	if !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("error does not name the owner: %v", err)
	}
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("WATCHMAN_SOCK", "")
	spec := newSpec(t, spec.Options{Watch: []string{t.TempDir()}})
	_, err := Subscribe(t.Context(), spec, Options{Binary: filepath.Join(t.TempDir(), "watchman")})
	if r := reasonOf(t, err); r != ReasonNoBinary {
		t.Fatalf("reason %v (%v), want %v", r, err, ReasonNoBinary)
	}
}

// fakeBinary writes a shell script standing in for the watchman CLI.
func fakeBinary(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watchman")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindSocketRunsGetSockname(t *testing.T) {
	t.Setenv("WATCHMAN_SOCK", "")
	d := watchmantest.Start(t)
	bin := fakeBinary(t, `[ "$1" = get-sockname ] && echo '{"version":"4.9.0","sockname":"`+d.Sock+`"}'`)
	root := project(t)
	s, err := Subscribe(t.Context(), newSpec(t, spec.Options{Watch: []string{root}}), Options{Binary: bin, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.c.sock != d.Sock {
		t.Fatalf("socket %s, want %s", s.c.sock, d.Sock)
	}
}

func TestFindSocketBounded(t *testing.T) {
	t.Setenv("WATCHMAN_SOCK", "")
	cases := map[string]struct {
		script string
		want   Reason
	}{
		"hangs":   {"exec sleep 30", ReasonTimeout},
		"fails":   {"echo 'cannot start' >&2; exit 1", ReasonNoSocket},
		"garbage": {"echo nonsense", ReasonNoSocket},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := FindSocket(t.Context(), fakeBinary(t, tc.script), 300*time.Millisecond)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			if r := reasonOf(t, err); r != tc.want {
				t.Fatalf("reason %v (%v), want %v", r, err, tc.want)
			}
		})
	}
}

func TestWatchmanSockWins(t *testing.T) {
	t.Setenv("WATCHMAN_SOCK", "/some/sock")
	s, err := FindSocket(context.Background(), "/nonexistent/watchman", time.Second)
	if err != nil || s != "/some/sock" {
		t.Fatalf("FindSocket = %q, %v", s, err)
	}
}

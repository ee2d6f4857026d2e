package deps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestShellFailures: a failing command names itself, how it ended and its
// last stderr line; an answer naming nothing or a missing path fails too.
func TestShellFailures(t *testing.T) {
	dir := tree(t, "a.go")
	for _, tc := range []struct{ cmd, want string }{
		{"echo first >&2; echo 'no such thing' >&2; exit 1", "echo first >&2; echo 'no such thing' >&2; exit 1: exit 1: no such thing"},
		{"kill -KILL $$", "kill -KILL $$: signal SIGKILL"},
		{"true", "true: printed no path"},
		{"echo a.go; echo gone.go", "echo a.go; echo gone.go: gone.go: no such file or directory"},
	} {
		s := &Shell{Command: tc.cmd, Dir: dir, Env: os.Environ()}
		set, err := s.Load(context.Background())
		var re *RunError
		if set != nil || !errors.As(err, &re) || err.Error() != tc.want {
			t.Errorf("%s: set %v, err %v; want the error %q", tc.cmd, set, err, tc.want)
		}
	}
	s := &Shell{Command: "echo a.go; pwd >&2", Dir: dir, Env: os.Environ()}
	set, err := s.Load(context.Background())
	if err != nil || !set.Contains(filepath.Join(dir, "a.go")) {
		t.Fatalf("set %v, err %v", set, err)
	}
}

// blockingSource answers each Load when the test lets it, counting how
// many run at once.
type blockingSource struct {
	release          chan struct{}
	running, maxRuns atomic.Int32
	runs             atomic.Int32
	set              *Set
}

func (s *blockingSource) Name() string { return "blocking" }
func (s *blockingSource) Load(ctx context.Context) (*Set, error) {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.maxRuns.Load()
		if n <= m || s.maxRuns.CompareAndSwap(m, n) {
			break
		}
	}
	s.runs.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return s.set, nil
}

// TestRefresherCoalesces: triggers during a run make exactly one more run
// after it, never two at once, and each result says which requests it
// answers.
func TestRefresherCoalesces(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &blockingSource{release: make(chan struct{})}
	out := make(chan Result)
	r := NewRefresher(src, out)
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	defer wg.Wait()
	defer cancel()
	waitFor(t, func() bool { return src.runs.Load() == 1 })
	for range 5 {
		r.Trigger()
	}
	src.release <- struct{}{}
	if res := <-out; res.Asked != 0 {
		t.Errorf("first result answers %d requests, want 0", res.Asked)
	}
	waitFor(t, func() bool { return src.runs.Load() == 2 })
	src.release <- struct{}{}
	if res := <-out; res.Asked != 5 || r.Asked() != 5 {
		t.Errorf("second result answers %d of %d requests, want all 5", res.Asked, r.Asked())
	}
	select {
	case res := <-out:
		t.Fatalf("a third run: %+v", res)
	case <-time.After(100 * time.Millisecond):
	}
	if src.runs.Load() != 2 || src.maxRuns.Load() != 1 {
		t.Errorf("%d runs, at most %d at once; want 2, 1", src.runs.Load(), src.maxRuns.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNewGo reads go run/test/build command lines: flags skipped (with
// their values), go list's own kept, go run's program arguments ignored.
func TestNewGo(t *testing.T) {
	for _, tc := range []struct {
		cmd         string
		pkgs, flags []string
		test        bool
	}{
		{"go run ./cmd/a -port 8080 ./other", []string{"./cmd/a"}, nil, false},
		{"go run -race -tags dev ./cmd/a", []string{"./cmd/a"}, []string{"-tags=dev"}, false},
		{"go run main.go util.go arg.go x", []string{"main.go", "util.go", "arg.go"}, nil, false},
		{"/usr/local/go/bin/go run -C sub -mod=mod .", []string{"."}, []string{"-C", "sub", "-mod=mod"}, false},
		{"go test -v -run TestX ./a ./b/... -count 1", []string{"./a", "./b/..."}, nil, true},
		{"go test", []string{"."}, nil, true},
		{"go test ./a -args ./not", []string{"./a"}, nil, true},
		{"go build -o bin/x ./cmd/x", []string{"./cmd/x"}, nil, false},
	} {
		g, err := NewGo(strings.Fields(tc.cmd), "/w", nil)
		if err != nil {
			t.Errorf("%s: %v", tc.cmd, err)
			continue
		}
		if !slices.Equal(g.pkgs, tc.pkgs) || !slices.Equal(g.flags, tc.flags) || g.test != tc.test {
			t.Errorf("%s: pkgs %q flags %q test %v; want %q %q %v", tc.cmd, g.pkgs, g.flags, g.test, tc.pkgs, tc.flags, tc.test)
		}
	}
	for _, cmd := range []string{"python3 app.py", "go", "go vet ./...", "go run", "go run -race", "go build -o"} {
		_, err := NewGo(strings.Fields(cmd), "/w", nil)
		var ge *GoCommandError
		if !errors.As(err, &ge) || !strings.Contains(err.Error(), "want COMMAND go run PKG") {
			t.Errorf("%q: err = %v, want a GoCommandError", cmd, err)
		}
	}
}

// TestChannelRefusesOutsiders: a peer in COMMAND's tree (here COMMAND is
// this process) declares; while COMMAND is another process, the same
// peer is refused and declares nothing.
func TestChannelRefusesOutsiders(t *testing.T) {
	if err := ChildSupported(); err != nil {
		t.Skip(err)
	}
	dir := tree(t, "a.go", "b.go")
	ch, err := Listen(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if fi, err := os.Stat(filepath.Dir(ch.Path())); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v, mode %v; want 0700", err, fi.Mode())
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Result, 4)
	var wg sync.WaitGroup
	wg.Go(func() { ch.Serve(ctx, out) })
	defer func() { cancel(); wg.Wait() }()

	ch.Started(os.Getpid())
	declare(t, ch.Path(), "a.go\nb.go\n")
	res := <-out
	if res.Set.Len() != 2 || !res.Set.Contains(filepath.Join(dir, "b.go")) {
		t.Fatalf("declared set %v", res.Set)
	}

	ch.Started(1) // COMMAND is now a process this one is no child of
	declare(t, ch.Path(), "c.go\n")
	select {
	case res := <-out:
		t.Fatalf("an outsider declared: %+v", res)
	case <-time.After(commandWait + 200*time.Millisecond):
	}
}

func declare(t *testing.T, sock, lines string) {
	t.Helper()
	c, err := dialUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(lines))
	c.Close()
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// churnFor is how long TestNestedDirectoryChurn churns in each mode:
// AUTORELOAD_TEST_CHURN_SECONDS, else 6 s, in which the poller that let two scan
// workers own a directory and its subdirectory at once crashed (or, built
// with -race, reported the race) in every run.
func churnFor(t *testing.T) time.Duration {
	if v := os.Getenv("AUTORELOAD_TEST_CHURN_SECONDS"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("AUTORELOAD_TEST_CHURN_SECONDS=%q: %v", v, err)
		}
		return time.Duration(n * float64(time.Second))
	}
	return 6 * time.Second
}

// TestNestedDirectoryChurn: nested directories created and deleted as fast
// as a test suite's or a build's scratch directories, polled every 10 ms,
// with kernel events and without: autoreload stays alive, logs no panic or
// race, restarts nothing for directories alone, and a change made after
// restarts COMMAND once.
func TestNestedDirectoryChurn(t *testing.T) {
	for _, mode := range []string{"events", "no-events"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := filepath.Join(dir, "main.go")
			testkit.Write(t, src, "package main\n")
			args := []string{"--poll-interval=10ms"}
			if mode == "no-events" {
				args = append(args, "--no-events")
			}
			out := filepath.Join(t.TempDir(), "env")
			s := startAutoreload(t, dir, append(args, "--", helper, "env", out)...)
			s.ready()

			stop := make(chan struct{})
			var wg sync.WaitGroup
			for n := range 4 {
				wg.Go(func() {
					top := filepath.Join(dir, fmt.Sprintf("t%d", n))
					for {
						select {
						case <-stop:
							return
						default:
						}
						os.MkdirAll(filepath.Join(top, "a/b/c/x"), 0o755)
						os.MkdirAll(filepath.Join(top, "a/y"), 0o755)
						time.Sleep(time.Duration(1+n) * time.Millisecond) // pace, not a wait for anything
						os.RemoveAll(top)
					}
				})
			}
			select {
			case <-s.exited:
			case <-time.After(churnFor(t)):
			}
			close(stop)
			wg.Wait()
			select {
			case <-s.exited:
				t.Fatalf("autoreload died under the churn (code %d); log:\n%s", s.code, s.logText())
			default:
			}

			testkit.Write(t, src, "package main // changed\n")
			s.await("changed", func(e event) bool {
				for _, p := range e.paths() {
					if p != src {
						t.Fatalf("changed %v: directories alone are no change; log:\n%s", e.paths(), s.logText())
					}
				}
				return true
			}, "started")
			s.await("started", nil)
			starts := countMsg(s.stop(), "started")
			if starts != 0 {
				t.Errorf("%d starts after the one the change caused; log:\n%s", starts, s.logText())
			}
			for _, bad := range []string{"panic", "DATA RACE", "goroutine "} {
				if strings.Contains(s.logText(), bad) {
					t.Fatalf("the log holds %q:\n%s", bad, s.logText())
				}
			}
		})
	}
}

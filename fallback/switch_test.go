package fallback

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// timers is one setting of --watchman-retry and --poll-interval, scaled down
// from what a user may give, keeping the ratio.
type timers struct {
	name  string
	retry time.Duration
	poll  time.Duration
}

// timerRatios are the settings where one period is a multiple of the other
// (issue 13: 1s/1s, 2s/500ms, 500ms/1s, 1s/10s) and the defaults' ratio
// (10s/1s), scaled down to keep the suite fast.
var timerRatios = []timers{
	{"retry=1s,poll=1s", 200 * time.Millisecond, 200 * time.Millisecond},
	{"retry=2s,poll=500ms", 400 * time.Millisecond, 100 * time.Millisecond},
	{"retry=500ms,poll=1s", 100 * time.Millisecond, 200 * time.Millisecond},
	{"retry=1s,poll=10s", 100 * time.Millisecond, time.Second},
	{"retry=10s,poll=1s", time.Second, 100 * time.Millisecond},
}

func (tm timers) period() time.Duration { return max(tm.retry, tm.poll) }

// While Watchman stays down, the poller delivers every change, whatever the
// ratio of the re-check and poll periods: a re-check never costs a change the
// poller found (with the timers in step, each re-check used to cancel the
// scan that had found it, for ever).
func TestWatcherOutageKeepsChangesWhateverTheTimers(t *testing.T) {
	for _, tm := range timerRatios {
		t.Run(tm.name, func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixtureFrom(t, ReloaderAuto, tm.config())
			if !f.onWatchman() {
				t.Fatalf("not on watchman at start:\n%s", f.logs)
			}
			f.daemon.Kill()
			for f.onWatchman() {
				f.expectNothing("the fallback", 100*time.Millisecond)
			}
			for i, after := range []time.Duration{3 * tm.period(), 2 * tm.period()} {
				// One Next blocks through the outage, as the command's loop
				// does: the change is made periods into it.
				p := filepath.Join(f.dir, fmt.Sprintf("down%d.go", i))
				wrote := make(chan error, 1)
				go func() {
					time.Sleep(after) // the scenario: a write well into the outage
					// Off the test's goroutine, where t.Fatal may not run.
					wrote <- os.WriteFile(p, []byte("package a"), 0o644)
				}()
				f.expect(fmt.Sprintf("change %d, made %s after the last", i, after), after+5*time.Second, p)
				if err := <-wrote; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// The runtime-switch tests run with the fixture's timers and with every
// ratio of timerRatios: a re-check must never cost a change, nor deliver one
// twice.
var switchTimers = append([]timers{{"fixture", 0, 0}}, timerRatios...)

func (tm timers) config() fixtureConfig {
	return fixtureConfig{retry: tm.retry, pollInterval: tm.poll}
}

func TestWatcherFallsBackWithoutLosingAChange(t *testing.T) {
	for _, tm := range switchTimers {
		for _, tc := range []struct {
			name string
			kill func(d *watchmantest.Daemon)
		}{
			{"shutdown-server", (*watchmantest.Daemon).Shutdown},
			{"SIGKILL", (*watchmantest.Daemon).Kill},
			{"SIGSTOP", (*watchmantest.Daemon).Freeze},
		} {
			t.Run(tm.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newSwitchFixtureFrom(t, ReloaderAuto, tm.config())
				if !f.onWatchman() {
					t.Fatalf("not on watchman at start:\n%s", f.logs)
				}
				a := filepath.Join(f.dir, "a.go")
				testkit.Write(t, a, "package a // 1")
				f.expect("change under watchman", 10*time.Second, a)

				tc.kill(f.daemon)
				if tc.name == "SIGSTOP" {
					t.Cleanup(f.daemon.Thaw)
				}
				time.Sleep(100 * time.Millisecond) // the scenario: a write 100 ms after the failure
				b := filepath.Join(f.dir, "b.go")
				testkit.Write(t, b, "package a")
				f.expect("change after the failure", 15*time.Second, b)
				if f.onWatchman() {
					t.Fatal("still on watchman after the daemon was lost")
				}
				if n := strings.Count(f.logs.String(), "msg=fallback"); n != 1 {
					t.Fatalf("%d fallback events, want 1:\n%s", n, f.logs)
				}
			})
		}
	}
}

func TestWatcherSwitchAloneDeliversNothing(t *testing.T) {
	for _, tm := range switchTimers {
		for _, repo := range []bool{false, true} {
			if repo && tm.name != "fixture" {
				continue // the timers change nothing of where cookies go
			}
			// In a repository the daemon's cookie files go to .git, which
			// deepens the fallback's baseline (see fallbackBaseline).
			t.Run(tm.name+"/"+map[bool]string{false: "plain", true: "git"}[repo], func(t *testing.T) {
				t.Parallel()
				testSwitchAloneDeliversNothing(t, tm, repo)
			})
		}
	}
}

func testSwitchAloneDeliversNothing(t *testing.T, tm timers, repo bool) {
	cfg := tm.config()
	cfg.tree = func(dir string) {
		if repo {
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := newSwitchFixtureFrom(t, ReloaderAuto, cfg)
	// No file changes for 2 s before the failure, as the issue states.
	time.Sleep(2 * time.Second)
	f.daemon.Kill()
	// Long enough for the first scans and a few re-checks.
	window := max(time.Second, 2*tm.period())
	f.expectNothing("the fallback by itself", window)
	if !strings.Contains(f.logs.String(), "msg=fallback") {
		t.Fatalf("no fallback was logged:\n%s", f.logs)
	}
	f.daemon.Restart()
	f.expectNothing("the switch back by itself", window)
	for deadline := time.Now().Add(10 * time.Second); !f.onWatchman(); {
		if time.Now().After(deadline) {
			t.Fatalf("not back on watchman:\n%s", f.logs)
		}
		f.expectNothing("the switch back by itself", 100*time.Millisecond)
	}
}

func TestWatcherReturnsToWatchman(t *testing.T) {
	for _, tm := range switchTimers {
		t.Run(tm.name, func(t *testing.T) {
			t.Parallel()
			testReturnsToWatchman(t, tm)
		})
	}
}

func testReturnsToWatchman(t *testing.T, tm timers) {
	f := newSwitchFixtureFrom(t, ReloaderAuto, tm.config())
	f.daemon.Kill()
	f.expectNothing("fallback", time.Second)
	if f.onWatchman() {
		t.Fatal("still on watchman")
	}
	f.daemon.Restart()
	// A change made while the watcher switches back must come once: the final
	// scan and the new subscription may both see it.
	deadline := time.Now().Add(max(tm.retry, 300*time.Millisecond) + 5*time.Second)
	c := filepath.Join(f.dir, "c.go")
	testkit.Write(t, c, "package a")
	f.expect("change during the switch back", 5*time.Second, c)
	f.expectNothing("a second delivery of the same change", max(time.Second, 2*tm.period()))
	for !f.onWatchman() {
		if time.Now().After(deadline) {
			t.Fatalf("not back on watchman within retry + 5 s:\n%s", f.logs)
		}
		f.next(100 * time.Millisecond)
	}
	d := filepath.Join(f.dir, "d.go")
	testkit.Write(t, d, "package a")
	f.expect("change under watchman again", 5*time.Second, d)
}

// A panic in the re-check's goroutine (a bug) comes out of Next as a
// *watchman.PanicError, the watcher's end like any other, and not as the end of the
// process, which would leave the terminal as COMMAND left it.
func TestRecheckPanicIsNextsError(t *testing.T) {
	t.Parallel()
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{
		options: func(o *Options) { o.beforeRecheck = func() { panic("injected") } },
	})
	f.daemon.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := f.next(time.Until(deadline))
		var pe *watchman.PanicError
		if errors.As(err, &pe) {
			if pe.Value != "injected" || len(pe.Stack) == 0 {
				t.Fatalf("panic error %v, stack %d bytes", pe.Value, len(pe.Stack))
			}
			return
		}
		if err != nil {
			t.Fatalf("Next: %v, want a *watchman.PanicError\nlog:\n%s", err, f.logs)
		}
	}
}

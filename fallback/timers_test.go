package fallback

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
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
					wrote <- writeFileErr(p, "package a")
				}()
				f.expect(fmt.Sprintf("change %d, made %s after the last", i, after), after+5*time.Second, p)
				if err := <-wrote; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

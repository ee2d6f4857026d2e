package supervisor

import (
	"testing"
	"testing/synctest"
	"time"
)

// crashLoop runs a COMMAND that ends ranFor after each start, n times, and
// returns the gaps the backoff chose, in the bubble's fake time.
func crashLoop(b *backoff, ranFor time.Duration, n int) []time.Duration {
	var gaps []time.Duration
	for range n {
		started := time.Now()
		time.Sleep(ranFor)
		d := b.next(time.Since(started))
		before := time.Now()
		time.Sleep(d)
		gaps = append(gaps, time.Since(before))
	}
	return gaps
}

func TestCrashBackoffDoublesTo5s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gaps := crashLoop(crashBackoff(), 10*time.Millisecond, 8)
		want := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
		for i := range want {
			if gaps[i] != want[i]*time.Millisecond {
				t.Fatalf("gaps = %v, want %v ms", gaps, want)
			}
		}
	})
}

func TestCrashBackoffResetsAfterACalmRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := crashBackoff()
		crashLoop(b, 0, 5)
		if gaps := crashLoop(b, 6*time.Second, 1); gaps[0] != 100*time.Millisecond {
			t.Fatalf("after a 6s run: gap %v, want 100ms again", gaps[0])
		}
	})
}

func TestExitCode3RestartsAtOnceUnlessItLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := reloadBackoff()
		// A COMMAND that exits 3 after a while, each time, restarts at once.
		for _, gap := range crashLoop(b, 2*time.Second, 5) {
			if gap != 0 {
				t.Fatalf("exit 3 after 2s of running: gap %v, want 0", gap)
			}
		}
		// Exiting 3 right after each start: the first is free, then gaps grow.
		gaps := crashLoop(b, 50*time.Millisecond, 4)
		want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
		for i := range want {
			if gaps[i] != want[i] {
				t.Fatalf("quick exits 3: gaps %v, want %v", gaps, want)
			}
		}
	})
}

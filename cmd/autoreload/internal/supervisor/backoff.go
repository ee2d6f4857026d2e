package supervisor

import "time"

// backoff spaces out restarts of a COMMAND that keeps ending soon after it
// starts, so a crash loop costs little CPU and leaves a readable log.
type backoff struct {
	min, max time.Duration
	// calm is how long a run must last for the next end to count as
	// fresh, resetting the gaps.
	calm time.Duration
	// free is how many quick ends in a row restart at once before the
	// gaps start (exit code 3 is a request to restart now, once).
	free int

	streak int
}

// crashBackoff is for OnExitRestart: 100 ms, doubling to 5 s.
func crashBackoff() *backoff {
	return &backoff{min: 100 * time.Millisecond, max: 5 * time.Second, calm: 5 * time.Second}
}

// reloadBackoff is for exit code 3: at once, unless COMMAND keeps exiting 3
// within a second of each start.
func reloadBackoff() *backoff {
	return &backoff{min: 100 * time.Millisecond, max: 5 * time.Second, calm: time.Second, free: 1}
}

// next returns how long to wait before restarting a COMMAND that ran for
// ranFor.
func (b *backoff) next(ranFor time.Duration) time.Duration {
	if ranFor >= b.calm {
		b.streak = 0
		if b.free > 0 {
			return 0 // a calm run's end is no loop
		}
	}
	b.streak++
	n := b.streak - b.free
	if n <= 0 {
		return 0
	}
	d := b.min
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

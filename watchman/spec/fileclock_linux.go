package spec

import (
	"time"

	"golang.org/x/sys/unix"
)

func fileTime() time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return time.Now().Add(-otherFileClockLag)
	}
	return time.Unix(ts.Unix())
}

// otherFileClockLag is the allowance where the coarse clock cannot be read.
const otherFileClockLag = 50 * time.Millisecond

package writers

import (
	"time"

	"golang.org/x/sys/unix"
)

// Floor is the earliest modification time a file written from now on can
// carry: the kernel stamps files from its coarse clock (one tick, 4 ms at
// HZ=250, behind the real time), or from the real time when someone
// looked at the file since its last change (multigrain timestamps), never
// earlier than the coarse clock. A file stamped earlier than Floor was
// written before it was read.
func Floor() time.Time {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts) != nil {
		return time.Now().Add(-slop)
	}
	return time.Unix(ts.Unix())
}

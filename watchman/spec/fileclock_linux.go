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

// probeLimit bounds the wait for a filesystem's clock to move past the
// first reading: a tick of the coarse clock (4 ms at HZ=250) where
// timestamps are not multigrain; on a multigrain filesystem the second
// write is stamped finer at once.
const probeLimit = 100 * time.Millisecond

// dirBaseline probes dir's filesystem as StartBaseline says; false when
// it cannot. A clock that does not move within probeLimit (a server that
// stamps whole seconds) gives the first reading itself: a file written
// before then in the same tick counts too, but no later one is missed.
func dirBaseline(dir string) (time.Time, bool) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return time.Time{}, false
	}
	defer unix.Close(fd)
	first, err := writeStamp(fd)
	if err != nil {
		return time.Time{}, false
	}
	deadline := time.Now().Add(probeLimit)
	for {
		// Reading the ctime (fstat, in writeStamp) asks a multigrain
		// filesystem for a fine-grained stamp on the next write.
		t, err := writeStamp(fd)
		switch {
		case err != nil:
			return time.Time{}, false
		case t.After(first):
			return first.Add(time.Nanosecond), true
		case time.Now().After(deadline):
			return first, true
		}
		time.Sleep(time.Millisecond)
	}
}

// writeStamp writes a byte to fd and returns the ctime it got.
func writeStamp(fd int) (time.Time, error) {
	for {
		_, err := unix.Write(fd, []byte{0})
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return time.Time{}, err
		}
		break
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return time.Time{}, err
	}
	return time.Unix(st.Ctim.Unix()), nil
}

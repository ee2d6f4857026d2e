package spec

import "time"

// FileTime returns the current time as the kernel would stamp a file now.
//
// Time baselines (watchman.Options.Since, poller.Options.Since) must be
// read from this clock, not time.Now: Linux stamps files from its coarse
// clock, which lags time.Now by a tick, and by much more when a virtual
// machine's timekeeping CPU is descheduled, so a file written just after a
// time.Now reading can carry an earlier mtime and be missed. A reading of
// the file clock is safe: a file written after it never carries an earlier
// mtime. The converse is nearly so: a file written before it can look newer
// only within about a tick (the same tick, or a fine-grained timestamp from
// a filesystem with multigrain timestamps), which costs one extra restart at
// most.
func FileTime() time.Time { return fileTime() }

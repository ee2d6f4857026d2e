//go:build !linux

package spec

import "time"

// fileTime allows for a file clock that may lag time.Now, as Linux's does;
// elsewhere it is not known to, but a little early costs at most one extra
// restart, while late loses a change.
func fileTime() time.Time { return time.Now().Add(-otherFileClockLag) }

const otherFileClockLag = 50 * time.Millisecond

// dirBaseline has no probe here (no O_TMPFILE): StartBaseline uses
// FileTime.
func dirBaseline(string) (time.Time, bool) { return time.Time{}, false }

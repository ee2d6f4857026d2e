//go:build !linux

package writers

import "time"

// Floor is the earliest modification time a file written from now on can
// carry, allowing for file systems stamping from a clock coarser than
// time.Now's.
func Floor() time.Time { return time.Now().Add(-slop) }

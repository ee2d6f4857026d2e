//go:build !linux

package keys

import (
	"os"
	"syscall"
)

// stopSelf sends SIGTSTP, whose action must be the default, to the
// process. Without a way to aim it at the calling thread, the stop may
// land a moment after the call returns.
func stopSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGTSTP)
}

package keys

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// stopSelf sends SIGTSTP, whose action must be the default, to the calling
// thread, which takes it on its way back from the system call: the process
// has been stopped and continued when it returns, or the kernel discarded
// the signal (an orphaned process group).
func stopSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGTSTP)
}

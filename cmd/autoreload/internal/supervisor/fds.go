package supervisor

import (
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeInheritedOnExec marks every descriptor above stderr close-on-exec,
// so COMMAND gets exactly stdin, stdout and stderr. Go opens its own
// descriptors that way already; this catches the ones the supervisor's
// program inherited from its parent (a terminal multiplexer's, a CI
// runner's pipe), which would otherwise pass on to COMMAND and to every
// daemon it starts, where a pipe held open can keep a reader waiting for
// EOF forever. Errors are ignored: a descriptor that cannot be listed or
// changed is one that cannot leak through us either way.
func closeInheritedOnExec() {
	dir := "/dev/fd"
	if runtime.GOOS == "linux" {
		dir = "/proc/self/fd"
	}
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd <= 2 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
		}
	}
}

package deps

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

type peer struct{ pid, uid int }

// ChildSupported says whether --deps-from child can work here: on Linux it can.
func ChildSupported() error { return nil }

// peerOf reads the connecting process's credentials, as the kernel
// recorded them at connect (SO_PEERCRED).
func peerOf(conn *os.File) (peer, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return peer{}, err
	}
	if credErr != nil {
		return peer{}, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return peer{pid: int(cred.Pid), uid: int(cred.Uid)}, nil
}

// inTree reports whether pid is command or below it: a parent chain that
// reaches it, or a process group that is its (an orphan re-parented to
// autoreload, the subreaper, keeps COMMAND's group unless it left it).
func inTree(pid, command int) bool {
	self := os.Getpid()
	for i := 0; i < 1024 && pid > 1; i++ {
		if pid == command {
			return true
		}
		if pid == self {
			return false // above COMMAND's tree
		}
		p, ok := proctree.ReadStat(pid)
		if !ok {
			return false
		}
		if p.Pgid == command {
			return true
		}
		pid = p.PPid
	}
	return false
}

package guard

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// si_code values of SIGCHLD (<asm-generic/siginfo.h>), and waitid's
// idtypes (<linux/wait.h>), which package syscall lacks. The guard calls
// the system through syscall, not golang.org/x/sys/unix (see
// prSetChildSubreaper in proctree).
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3

	pAll = 0
	pPid = 1
)

// siginfo is the kernel's siginfo_t: signo, errno and code, then a union
// (siginfoChild). MIPS, which swaps errno and code, is not supported.
type siginfo struct {
	Signo, Errno, Code int32
	_                  [128 - 12]byte
}

// waitid is waitid(2), without the rusage.
func waitid(idtype, id int, info *siginfo, options int) error {
	_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, uintptr(idtype), uintptr(id), uintptr(unsafe.Pointer(info)),
		uintptr(options), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// selfExe is the running program, even if its file was replaced since.
func selfExe() string { return "/proc/self/exe" }

func nameGuard() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte(Comm + "\x00")[0])), 0)
}

// peekCommand reports a stop of COMMAND (consuming it), or its end without
// reaping it: until the end is reported, COMMAND's zombie keeps it, so
// that if the guard dies in between, the supervisor (the subreaper) reaps
// it and learns the status itself.
func peekCommand(pid int) (stop syscall.Signal, exit *proctree.Status) {
	var info siginfo
	err := waitid(pPid, pid, &info, syscall.WEXITED|syscall.WSTOPPED|syscall.WNOHANG|syscall.WNOWAIT)
	if err != nil || info.Signo == 0 {
		return 0, nil
	}
	_, status := siginfoChild(&info)
	switch info.Code {
	case cldExited:
		return 0, &proctree.Status{Code: int(status)}
	case cldKilled, cldDumped:
		return 0, &proctree.Status{Code: -1, Signal: syscall.Signal(status)}
	}
	var ws syscall.WaitStatus
	if got, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil); got == pid && ws.Stopped() {
		return ws.StopSignal(), nil
	}
	return 0, nil
}

// siginfoChild reads si_pid and si_status of a SIGCHLD siginfo, which
// the kernel keeps in a union: the union follows three ints, aligned
// for a pointer; si_pid is its first field and si_status its third.
func siginfoChild(info *siginfo) (pid, status int32) {
	off := (12 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)
	base := unsafe.Pointer(info)
	return *(*int32)(unsafe.Add(base, off)), *(*int32)(unsafe.Add(base, off+8))
}

func reapCommand(pid int) {
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
}

// reapOthers reaps every ended child but COMMAND (collect reaps it once
// reported) and reports whether no child is left at all. As the subreaper
// of COMMAND's tree, the guard gets every orphan of it.
func reapOthers(cmd int, cmdDone bool) (childless bool) {
	for {
		var info siginfo
		err := waitid(pAll, 0, &info, syscall.WEXITED|syscall.WNOHANG|syscall.WNOWAIT)
		if err == syscall.ECHILD {
			return true
		}
		if err != nil || info.Signo == 0 {
			return false
		}
		pid, _ := siginfoChild(&info)
		if int(pid) == cmd && !cmdDone {
			return false // for collect, on the next round
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(int(pid), &ws, syscall.WNOHANG, nil)
	}
}

// signalTree sends sig to every descendant of the guard, then to its group
// (signalGroup).
func (g *guard) signalTree(sig syscall.Signal) {
	live := slices.DeleteFunc(proctree.Snapshot(), proctree.Stat.Zombie)
	tree := map[int]bool{}
	proctree.AddDescendants(proctree.Children(live), tree, syscall.Getpid())
	for pid := range tree {
		_ = syscall.Kill(pid, sig)
	}
	signalGroup(sig)
}

// awaitHandled waits, up to limit, until sig is no longer pending for the
// guard in the kernel (ShdPnd: sent to the process or its group, taken by
// no thread yet). A Ctrl-C reaches the guard and COMMAND at once, but on a
// loaded machine COMMAND can quit of it before any thread of the guard
// takes it: it must be handled before COMMAND's end is reported, or that
// end reads as COMMAND's own.
func awaitHandled(sig syscall.Signal, limit time.Duration) {
	mask := uint64(1) << (uint(sig) - 1)
	deadline := time.Now().Add(limit)
	for pendingSignals()&mask != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the kernel tells no one when a signal is taken
	}
}

// pendingSignals reads the guard's shared pending signal mask.
func pendingSignals() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(status) {
		if hex, ok := bytes.CutPrefix(line, []byte("ShdPnd:")); ok {
			mask, _ := strconv.ParseUint(string(bytes.TrimSpace(hex)), 16, 64)
			return mask
		}
	}
	return 0
}

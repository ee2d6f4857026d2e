package guard

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// si_code values of SIGCHLD (<asm-generic/siginfo.h>), which x/sys lacks.
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)

// selfExe is the running program, even if its file was replaced since.
func selfExe() string { return "/proc/self/exe" }

// nameGuard names the process Comm. /proc/self/comm names the process's
// main thread, whose name ps and /proc/PID/stat show; prctl would name
// the calling thread, which need not be the main one by the time main
// runs.
func nameGuard() {
	if os.WriteFile("/proc/self/comm", []byte(Comm), 0) != nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte(Comm + "\x00")[0])), 0, 0, 0)
	}
}

// peekCommand reports a stop of COMMAND (consuming it), or its end without
// reaping it: until the end is reported, COMMAND's zombie keeps it, so
// that if the guard dies in between, the supervisor (the subreaper) reaps
// it and learns the status itself.
func peekCommand(pid int) (stop syscall.Signal, exit *proctree.Status) {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOHANG|unix.WNOWAIT, nil)
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
// x/sys leaves in an opaque union: the union follows three ints, aligned
// for a pointer; si_pid is its first field and si_status its third.
func siginfoChild(info *unix.Siginfo) (pid, status int32) {
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
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
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

// signalTree sends sig to every live descendant of the guard, by pid: the
// guard leads their group, and SIGKILL must not reach it.
func (g *guard) signalTree(sig syscall.Signal) {
	for _, pid := range descendants(false) {
		_ = syscall.Kill(pid, sig)
	}
}

// signalOutsiders sends the stop signal, and SIGCONT, to the live
// descendants that left the guard's group (setsid, a daemon), which the
// signal to the group missed.
func (g *guard) signalOutsiders() {
	g.outsidersDone = true
	if g.killing {
		return // SIGKILL goes to all of them anyway
	}
	for _, pid := range descendants(true) {
		_ = syscall.Kill(pid, g.stopSig)
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
}

// descendants are the guard's live descendants; outsiders only: those
// outside its group.
func descendants(outsiders bool) []int {
	live := slices.DeleteFunc(proctree.Snapshot(), proctree.Stat.Zombie)
	tree := map[int]bool{}
	proctree.AddDescendants(proctree.Children(live), tree, syscall.Getpid())
	pgrp := syscall.Getpgrp()
	var pids []int
	for _, p := range live {
		if tree[p.Pid] && (!outsiders || p.Pgid != pgrp) {
			pids = append(pids, p.Pid)
		}
	}
	return pids
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
	for line := range strings.Lines(string(status)) {
		if hex, ok := strings.CutPrefix(line, "ShdPnd:"); ok {
			mask, _ := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return mask
		}
	}
	return 0
}

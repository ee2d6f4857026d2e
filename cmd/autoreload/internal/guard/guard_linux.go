package guard

import (
	"bytes"
	"os"
	"runtime"
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

// nameGuard names the process Comm. /proc/self/comm names the process's
// main thread, whose name ps and /proc/PID/stat show; prctl would name
// the calling thread, which need not be the main one by the time main
// runs.
func nameGuard() {
	if os.WriteFile("/proc/self/comm", []byte(Comm), 0) != nil {
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte(Comm + "\x00")[0])), 0)
	}
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

// awaitHandled waits, up to limit, until sig reached the Go runtime of
// the guard, if it was sent: a Ctrl-C reaches the guard and COMMAND at
// once, but on a loaded machine COMMAND can quit of it before the guard's
// handler ran, and the end would then read as COMMAND's own. Two waits:
//   - until sig is no longer pending for the guard in the kernel (ShdPnd:
//     sent to the process or its group, taken by no thread yet);
//   - until no thread of the guard is between taking sig and Go's handler
//     for it (preempted on its way back to user mode). A thread asleep is
//     not: it ran the handler before it slept again; nor is this one. Any
//     other is sent a SIGURG (Go's preemption signal; a spurious one does
//     nothing) and waited for until it took it: Go's handler runs with
//     every signal blocked, so a thread that took sig takes its SIGURG
//     only once the handler had sig.
//
// signal.Stop, in flushSignals, then waits for the runtime to pass sig on.
func awaitHandled(sig syscall.Signal, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for pendingSignals()&sigBit(sig) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the kernel tells no one when a signal is taken
	}
	runtime.LockOSThread() // this thread is the one skipped
	defer runtime.UnlockOSThread()
	self := syscall.Gettid()
	for _, tid := range guardThreads() {
		if st, ok := proctree.ReadStat(tid); tid == self || !ok || st.State == 'S' {
			continue
		}
		task := "/proc/self/task/" + strconv.Itoa(tid) + "/status"
		_ = syscall.Tgkill(os.Getpid(), tid, syscall.SIGURG)
		for statusMask(task, "SigPnd:")&sigBit(syscall.SIGURG) != 0 && time.Now().Before(deadline) {
			runtime.Gosched() // it takes it as soon as it runs
		}
	}
}

func sigBit(sig syscall.Signal) uint64 { return 1 << (uint(sig) - 1) }

// guardThreads lists the guard's threads.
func guardThreads() []int {
	names, _ := os.ReadDir("/proc/self/task")
	tids := make([]int, 0, len(names))
	for _, n := range names {
		if tid, err := strconv.Atoi(n.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids
}

// pendingSignals reads the guard's shared pending signal mask.
func pendingSignals() uint64 { return statusMask("/proc/self/status", "ShdPnd:") }

// statusMask reads the signal mask of a status file's field line; 0 once
// the file is gone.
func statusMask(path, field string) uint64 {
	hex, _ := statusField(path, field)
	mask, _ := strconv.ParseUint(hex, 16, 64)
	return mask
}

// statusField reads the value of a status file's field line (field is
// its name with the colon).
func statusField(path, field string) (string, bool) {
	status, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte(field)); ok {
			return string(bytes.TrimSpace(v)), true
		}
	}
	return "", false
}

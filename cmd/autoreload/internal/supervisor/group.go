package supervisor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// group is one run of COMMAND: its guard, its leader, whose pid is also the
// process group id, and every descendant, wherever it went.
type group struct {
	pid     int
	started time.Time
	// status is set once the leader has ended (reaped by its guard, or by
	// the supervisor when the guard died first).
	status *exitStatus
	// failed is set instead of pid when COMMAND could not be started.
	failed error
	// logged and handled make "exited" and the OnExit policy happen once.
	logged, handled bool
	// stopping is set when the supervisor sent the stop signal, so an end
	// by that signal is ours and not the user's.
	stopping bool
	// stopSig is the signal that stopped the leader (SIGTSTP on Ctrl-Z),
	// reported and not yet handled; zero while it runs.
	stopSig syscall.Signal
	// interrupts are the Ctrl-Cs the guard saw, not yet handled;
	// interrupted is the time of the last one handled.
	interrupts  []time.Time
	interrupted time.Time

	guard       int // the guard's pid
	guardReaped bool
	guardStatus syscall.WaitStatus // how it ended, once reaped
	// guardLost is set once the guard was found gone before its work was
	// done (see lostGuard).
	guardLost bool
	ctl       *os.File // closing it tells the guard the supervisor is gone
	rep       reports
	done      chan struct{} // closed when the guard's reports ended
}

// reports is what the guard told, kept until the supervisor's goroutine
// takes it; the reading goroutine fills it.
type reports struct {
	mu         sync.Mutex
	status     *exitStatus
	stopSig    syscall.Signal
	interrupts []time.Time
	eof        bool
}

// errGuardEnded is a start whose guard ended before it said whether COMMAND
// started: it was killed (an OOM kill, a kill -9 of every guard at once).
var errGuardEnded = errors.New("its guard ended")

// startGuard starts COMMAND's guard, which starts COMMAND (see doc.go), and
// returns the group once COMMAND was executed. poke wakes the supervisor
// when the guard reports.
func startGuard(path string, argv, env []string, files []*os.File, foreground bool,
	stopSig syscall.Signal, grace time.Duration, poke func()) (*group, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, &StartError{Command: argv[0], Err: err}
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, &StartError{Command: argv[0], Err: err}
	}
	fg := "0"
	if foreground {
		fg = "1"
	}
	args := append([]string{guardName, strconv.Itoa(int(stopSig)), strconv.FormatInt(int64(grace), 10), fg, path}, argv...)
	fds := []uintptr{files[0].Fd(), files[1].Fd(), files[2].Fd(), ctlR.Fd(), repW.Fd()}
	for _, f := range files[3:] { // the sockets, from 5 on (socketsAt)
		fds = append(fds, f.Fd())
	}
	guard, err := syscall.ForkExec(selfExe(), args, &syscall.ProcAttr{
		Env: append(env, roleVar+"=guard"), Files: fds,
		// A group of its own until it joins COMMAND's: a Ctrl-C for the
		// supervisor must not reach it before it catches SIGINT.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	runtime.KeepAlive(files) // their descriptors must stay open until ForkExec returned
	ctlR.Close()
	repW.Close()
	if err != nil {
		ctlW.Close()
		repR.Close()
		return nil, &StartError{Command: argv[0], Err: fmt.Errorf("starting its guard: %w", err)}
	}
	rd := bufio.NewReader(repR)
	first, _ := rd.ReadString('\n')
	word, arg, _ := strings.Cut(strings.TrimSpace(first), " ")
	n, _ := strconv.Atoi(arg)
	if word != "started" || n <= 0 {
		ctlW.Close()
		repR.Close()
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(guard, &ws, 0, nil) // it ends once it said why
		err := error(syscall.Errno(n))
		if word != "failed" {
			err = errGuardEnded
		}
		return nil, &StartError{Command: argv[0], Err: err}
	}
	g := &group{pid: n, started: time.Now(), guard: guard, ctl: ctlW, done: make(chan struct{})}
	go g.read(rd, repR, poke)
	return g, nil
}

// read collects the guard's reports until it ends; the goroutine is the
// group's, and finish waits for it.
func (g *group) read(rd *bufio.Reader, f *os.File, poke func()) {
	defer close(g.done)
	defer f.Close()
	for {
		line, err := rd.ReadString('\n')
		word, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		n, _ := strconv.Atoi(arg)
		g.rep.mu.Lock()
		switch word {
		case "exited":
			g.rep.status = &exitStatus{code: n}
		case "killed":
			g.rep.status = &exitStatus{code: -1, signal: syscall.Signal(n)}
		case "stopped":
			g.rep.stopSig = syscall.Signal(n)
		case "interrupt":
			g.rep.interrupts = append(g.rep.interrupts, time.Now())
		}
		g.rep.eof = err != nil
		g.rep.mu.Unlock()
		poke()
		if err != nil {
			return
		}
	}
}

// finish lets the guard go once the group is over, and waits for its
// reports to end.
func (g *group) finish() {
	if g == nil || g.ctl == nil {
		return
	}
	g.ctl.Close()
	g.ctl = nil
	<-g.done
}

// reapLeader takes what the guard reported of g's leader: its end, or that
// it was stopped. The report of a stop is given once per stop, so it is
// kept in g until the supervisor acts on it. When the guard died first,
// the leader is the supervisor's child (its subreaper's) and is reaped
// here; reaped says so.
func reapLeader(g *group) (reaped bool) {
	if g == nil || g.pid == 0 {
		return false
	}
	g.rep.mu.Lock()
	if g.status == nil && g.rep.status != nil {
		g.status, g.stopSig = g.rep.status, 0
	}
	if g.status == nil && g.rep.stopSig != 0 {
		g.stopSig = g.rep.stopSig
	}
	g.rep.stopSig = 0
	g.interrupts = append(g.interrupts, g.rep.interrupts...)
	g.rep.interrupts = nil
	eof := g.rep.eof
	g.rep.mu.Unlock()
	if g.status != nil {
		// Once it ended, its pid may be handed out again, even to a child
		// of the supervisor's: only the reaper, which sees a zombie of its
		// own, may reap it.
		return false
	}
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(g.pid, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil)
	switch {
	case err == nil && got == g.pid && ws.Stopped():
		g.stopSig = ws.StopSignal()
	case err == nil && got == g.pid:
		st := statusOf(ws)
		g.status, g.stopSig = &st, 0
		return true
	case eof && syscall.Kill(g.pid, 0) == syscall.ESRCH:
		// The guard reaped it and died before it could say how it ended
		// (only where it cannot report before reaping): killed, as the
		// guard was.
		g.status, g.stopSig = &exitStatus{code: -1, signal: syscall.SIGKILL}, 0
	}
	return false
}

// reapGuard reaps the guard once it ended; never again, for its pid may
// then be another child's.
func (g *group) reapGuard() {
	if g == nil || g.guard == 0 || g.guardReaped {
		return
	}
	var ws syscall.WaitStatus
	if got, _ := syscall.Wait4(g.guard, &ws, syscall.WNOHANG, nil); got == g.guard {
		g.guardReaped, g.guardStatus = true, ws
	}
}

// awaitGuard reaps the guard, waiting for it, and returns how it ended. It
// is called only once the guard's reports ended: the guard is exiting.
func (g *group) awaitGuard() syscall.WaitStatus {
	if !g.guardReaped {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(g.guard, &ws, 0, nil); got == g.guard {
			g.guardReaped, g.guardStatus = true, ws
		}
	}
	return g.guardStatus
}

// reportsEnded reports whether the guard's report pipe is closed: it exited.
func (g *group) reportsEnded() bool {
	g.rep.mu.Lock()
	defer g.rep.mu.Unlock()
	return g.rep.eof
}

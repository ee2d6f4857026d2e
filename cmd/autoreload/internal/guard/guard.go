package guard

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// guard is the process between the supervisor and COMMAND, for the
// whole run: it starts COMMAND, stops its tree and starts it again as the
// supervisor orders (control).
type guard struct {
	args    guardArgs
	stopSig syscall.Signal
	grace   time.Duration
	report  *os.File
	caught  []os.Signal
	sigc    chan os.Signal
	// cmd is the last COMMAND's pid; cmdDone is set once its end was
	// reported and it was reaped (and while none was started);
	// childless once the guard has no child left, zombies included.
	cmd                int
	cmdDone, childless bool
	// stopping is set from a stop or restart order until the tree is
	// gone; next is the restart's start, to follow it.
	stopping bool
	next     *control
	held     bool // next is dropped: answered with ECANCELED
	// outsidersDone: the stop signal went to what left the group too;
	// scanDue: it is time to look for them (a poll of the stop came).
	outsidersDone, scanDue bool
	// killAll: every stop sends SIGKILL at once (the kill order);
	// killing: this stop is past its grace period.
	killAll, killing bool
	graceT           *time.Timer
	poll             <-chan time.Time // while stopping
	pollEvery        time.Duration
	// mute: a SIGINT handled now is the guard's own stop signal.
	mute bool
	// orphaned: the supervisor is gone; the guard exits once the tree is.
	orphaned bool
}

// runGuard is the guard's main; args are its argv after argv[0].
func runGuard(argv []string) int {
	os.Unsetenv(roleVar)
	// Neither pipe may reach COMMAND.
	syscall.CloseOnExec(fdControl)
	syscall.CloseOnExec(fdReport)
	for i := range listenFDs() { // COMMAND gets copies; every start needs them
		syscall.CloseOnExec(fdGuardSockets + i)
	}
	// The orders are read through Go's poller, not by a thread blocked in
	// read(2): with the guard's one P, a goroutine blocked in a system
	// call keeps the P until the runtime's monitor takes it back, and
	// each order reached the loop through two more threads (order to stop
	// signal 0.19-0.23 ms under perf trace; 0.16-0.17 so).
	_ = syscall.SetNonblock(fdControl, true)
	ctl, report := os.NewFile(fdControl, "control"), os.NewFile(fdReport, "report")
	args, err := decodeGuardArgs(argv)
	if err != nil {
		return 2
	}
	nameGuard()
	proctree.BecomeSubreaper()
	g := &guard{args: args, stopSig: args.stopSignal, grace: args.grace, report: report, cmdDone: true}
	g.catch()
	orders := make(chan control)
	go func() { // ends with the supervisor's end of the pipe, or the process
		defer close(orders)
		rd := newLineReader(ctl)
		for {
			m, err := decodeControl(rd)
			if err == io.EOF {
				return
			}
			if err == nil {
				orders <- m
			}
		}
	}()
	for {
		g.collect()
		if g.stopping {
			if g.cmdDone && g.childless {
				g.stopped()
			} else if (g.cmdDone || g.scanDue) && !g.outsidersDone {
				g.signalOutsiders() // what is left of the tree may have left the group
			}
		}
		if g.orphaned && !g.stopping {
			return 0
		}
		if g.stopping && g.killing {
			g.signalTree(syscall.SIGKILL) // newcomers too
		}
		var graceC <-chan time.Time
		if g.stopping && g.graceT != nil {
			graceC = g.graceT.C
		}
		select {
		case s := <-g.sigc:
			g.handle(s)
		case m, ok := <-orders:
			if !ok {
				orders = nil
				g.orphan()
			} else {
				g.obey(m)
			}
		case <-graceC:
			g.graceT = nil
			g.killing = true
		case <-g.poll:
			g.nextPoll()
			g.scanDue = true // once collect saw the tree still there
		}
	}
}

// nextPoll is the safety net of a stop: every death in the tree wakes the
// guard with SIGCHLD, but a poll growing from a millisecond to 64 ms also
// catches what that could miss, and lets the stop signal reach what left
// the group within a millisecond or two when the tree does not end at once.
func (g *guard) nextPoll() {
	g.pollEvery = min(2*g.pollEvery, 64*time.Millisecond)
	g.poll = time.After(g.pollEvery)
}

// obey carries out one order of the supervisor's.
func (g *guard) obey(m control) {
	switch m.op {
	case opGo:
		if g.stopping || !g.cmdDone {
			g.say(Report{Failed, int(syscall.EBUSY)}) // the supervisor's mistake: a go while one runs
			return
		}
		g.start(m)
	case opRestart:
		g.next = &m
		g.beginStop()
	case opStop:
		g.beginStop()
	case opHold:
		g.held = g.next != nil
	case opKill:
		g.killAll = true
		if g.stopping {
			g.killing = true
		}
	}
}

// beginStop stops the tree: the stop signal and SIGCONT (a stopped process
// must wake to die) to the guard's group, COMMAND's, at once, and to what
// left the group once COMMAND ended or a millisecond passed (a scan of
// /proc, which a tree that ends at once never needs); SIGKILL to every
// process of the tree after the grace period, or at once after kill.
func (g *guard) beginStop() {
	if g.stopping {
		return // the stop under way serves this order too
	}
	// A SIGKILL stop signal goes to the tree's pids, as an escalation does:
	// sent to the group, it would end the guard.
	g.stopping, g.outsidersDone, g.scanDue, g.killing = true, false, false, g.killAll || g.stopSig == syscall.SIGKILL
	g.pollEvery = time.Millisecond / 2
	g.nextPoll()
	if g.cmdDone && g.childless {
		return
	}
	if !g.killing {
		signalGroup(g.stopSig) // the guard catches it
		signalGroup(syscall.SIGCONT)
		g.graceT = time.NewTimer(g.grace)
	}
}

// stopped ends a stop once the tree is gone: reports it, and starts the
// restart's COMMAND.
func (g *guard) stopped() {
	g.stopping, g.poll = false, nil
	if g.graceT != nil {
		g.graceT.Stop()
		g.graceT = nil
	}
	if g.stopSig == syscall.SIGINT {
		// The group's SIGINT was the guard's own: no Ctrl-C to report.
		awaitHandled(syscall.SIGINT, ctrlCHandledLimit)
		g.mute = true
		g.flushSignals()
		g.mute = false
	}
	g.say(Report{Kind: Gone})
	m, held := g.next, g.held
	g.next, g.held = nil, false
	switch {
	case m == nil || g.orphaned:
	case held:
		g.say(Report{Failed, int(syscall.ECANCELED)})
	default:
		g.start(*m)
	}
}

// orphan stops the tree when the supervisor is gone (killed, so it could
// not): the stop signal, and SIGKILL after the grace period, but never
// later than a second from now, so that nothing is left within two.
func (g *guard) orphan() {
	g.orphaned, g.next = true, nil
	limit := min(g.grace, time.Second)
	if g.stopping {
		if g.graceT != nil && g.graceT.Stop() {
			g.graceT.Reset(limit)
		}
		return
	}
	g.grace = limit
	g.beginStop()
}

// start starts COMMAND as m says and reports it.
func (g *guard) start(m control) {
	for _, kv := range m.env {
		if k, v, ok := cut(kv, '='); ok {
			os.Setenv(k, v)
		} else {
			os.Unsetenv(k)
		}
	}
	// COMMAND joins the guard's own process group (the supervisor started
	// it as the leader of one), so a Ctrl-C for COMMAND reaches the guard
	// from COMMAND's first instruction on, and the foreground is COMMAND's
	// before it runs.
	if m.foreground {
		proctree.SetForeground(0, syscall.Getpgrp())
		signal.Notify(g.sigc, g.caught...) // SetForeground reset SIGTTOU
		proctree.RestoreEcho(0)            // the last COMMAND may have left it off
	}
	pid, err := g.exec()
	if err != nil {
		errno, ok := err.(syscall.Errno)
		if !ok {
			errno = syscall.EINVAL
		}
		g.say(Report{Failed, int(errno)})
		return
	}
	g.cmd, g.cmdDone = pid, false
	g.say(Report{Started, pid})
}

// catch takes every signal a terminal or a stop sends COMMAND's group, so
// none of them ends or stops the guard, and SIGCHLD. A signal the guard
// inherited ignored stays ignored, for COMMAND to inherit as it would have
// from the supervisor; caught ones are reset to the default in COMMAND.
func (g *guard) catch() {
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, g.stopSig} {
		if !signal.Ignored(s) {
			g.caught = append(g.caught, s)
		}
	}
	g.caught = append(g.caught, syscall.SIGCHLD)
	g.sigc = make(chan os.Signal, 16)
	signal.Notify(g.sigc, g.caught...)
}

// handle acts on a caught signal: a SIGINT is a Ctrl-C for the supervisor
// to know of, unless it is the guard's own stop signal; SIGCHLD only wakes
// the loop; the rest are for COMMAND.
func (g *guard) handle(s os.Signal) {
	if s == syscall.SIGINT && !g.mute && !(g.stopping && g.stopSig == syscall.SIGINT) {
		g.say(Report{Kind: Interrupted})
	}
}

// flushSignals handles every signal the guard has received so far:
// signal.Stop returns only once those reached the old channel, and a new
// channel keeps them caught meanwhile. A signal handled while both were
// registered may have gone to either, so both are drained. A Ctrl-C that
// ended COMMAND is so told before its end.
func (g *guard) flushSignals() {
	c := make(chan os.Signal, 16)
	signal.Notify(c, g.caught...)
	signal.Stop(g.sigc)
	for _, ch := range []chan os.Signal{g.sigc, c} {
		for drained := false; !drained; {
			select {
			case s := <-ch:
				g.handle(s)
			default:
				drained = true
			}
		}
	}
	g.sigc = c
}

// ctrlCHandledLimit bounds the wait for a Ctrl-C still pending in the
// kernel when COMMAND's end is seen. Only a pending SIGINT is waited for,
// and it is taken as soon as a thread of the guard runs: on a loaded
// machine that took over 100 ms (the limit before), and the end then read
// as COMMAND's own (--on-exit=restart started it again).
const ctrlCHandledLimit = 3 * time.Second

// say writes one report; with the supervisor gone it fails, harmlessly.
func (g *guard) say(r Report) { _, _ = g.report.WriteString(r.Encode()) }

// collect reports every change of COMMAND's state and reaps what ended.
func (g *guard) collect() {
	for !g.cmdDone {
		stop, exit := peekCommand(g.cmd)
		switch {
		case exit != nil && g.stopping:
			// Stopped by order: no Ctrl-C can change what follows, so
			// none is awaited on the restart's path.
			g.sayEnd(*exit)
		case exit != nil:
			awaitHandled(syscall.SIGINT, ctrlCHandledLimit)
			g.flushSignals()
			g.sayEnd(*exit)
		case stop != 0:
			g.say(Report{Stopped, int(stop)})
			continue
		}
		break
	}
	g.childless = reapOthers(g.cmd, g.cmdDone)
}

// sayEnd reports COMMAND's end, then reaps it.
func (g *guard) sayEnd(exit proctree.Status) {
	if exit.Signal != 0 {
		g.say(Report{Killed, int(exit.Signal)})
	} else {
		g.say(Report{Exited, exit.Code})
	}
	reapCommand(g.cmd)
	g.cmdDone = true
}

// signalGroup sends sig to the guard's process group, COMMAND's; the guard
// catches it (never SIGKILL: that goes to the tree's pids, signalTree).
func signalGroup(sig syscall.Signal) { _ = syscall.Kill(0, sig) }

// exec starts COMMAND in the guard's process group and returns its pid
// once it was executed, or why it could not be. With sockets (LISTEN_FDS)
// it goes through the exec shim, which sets LISTEN_PID to its own pid,
// COMMAND's to be; otherwise COMMAND is executed directly.
func (g *guard) exec() (int, error) {
	args := g.args
	sys := &syscall.SysProcAttr{Setpgid: true, Pgid: syscall.Getpgrp()}
	sockets := listenFDs()
	if sockets == 0 {
		return syscall.ForkExec(args.path, args.argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: sys})
	}
	files := []uintptr{0, 1, 2}
	for i := range sockets { // the shim gets copies from fdShimSockets on
		files = append(files, uintptr(fdGuardSockets+i))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	pid, err := syscall.ForkExec(selfExe(), shimArgs{path: args.path, argv: args.argv}.encode(), &syscall.ProcAttr{
		Env:   append(os.Environ(), roleVar+"="+roleShim),
		Files: append(files, w.Fd()), // shimErrFD
		Sys:   sys,
	})
	w.Close()
	if err != nil {
		return 0, err
	}
	msg, _ := io.ReadAll(r) // EOF at the exec of COMMAND: the pipe is close-on-exec
	if len(msg) == 0 {
		return pid, nil
	}
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, 0, nil)
	n, _ := strconv.Atoi(string(msg))
	return 0, syscall.Errno(n)
}

// runShim is the exec shim's main: in COMMAND's process (so with its pid),
// it sets LISTEN_PID to that pid, then executes COMMAND. A failed exec is
// written as an errno to shimErrFD.
func runShim(argv []string) int {
	os.Unsetenv(roleVar)
	errFD := shimErrFD(listenFDs())
	syscall.CloseOnExec(errFD)
	args, err := decodeShimArgs(argv)
	if err != nil {
		return 127
	}
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	err = syscall.Exec(args.path, args.argv, os.Environ())
	errno, ok := err.(syscall.Errno)
	if !ok {
		errno = syscall.EINVAL
	}
	_, _ = os.NewFile(uintptr(errFD), "exec error").WriteString(strconv.Itoa(int(errno)))
	return 127
}

// listenFDs is the number of sockets LISTEN_FDS announces; 0 without it.
func listenFDs() int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 || n > 1000 {
		return 0
	}
	return n
}

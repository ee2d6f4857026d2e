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

// guard is the process between the supervisor and COMMAND.
type guard struct {
	cmd     int // COMMAND's pid and process group id
	stopSig syscall.Signal
	grace   time.Duration
	report  *os.File
	caught  []os.Signal
	sigc    chan os.Signal
	// cmdDone is set once COMMAND's end was reported and it was reaped;
	// childless once the guard has no child left, zombies included.
	cmdDone, childless bool
}

// runGuard is the guard's main; args are its argv after argv[0].
func runGuard(argv []string) int {
	os.Unsetenv(roleVar)
	// Neither pipe may reach COMMAND.
	syscall.CloseOnExec(fdControl)
	syscall.CloseOnExec(fdReport)
	ctl, report := os.NewFile(fdControl, "control"), os.NewFile(fdReport, "report")
	args, err := decodeGuardArgs(argv)
	if err != nil {
		return 2
	}
	nameGuard()
	proctree.BecomeSubreaper()
	g := &guard{stopSig: args.stopSignal, grace: args.grace, report: report}
	g.catch()
	ctlR := newLineReader(ctl)
	ahead, err := decodeGoAhead(ctlR)
	if err != nil {
		return 0 // not needed after all (a spare), or the supervisor is gone
	}
	for _, kv := range ahead.env {
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
	if ahead.foreground {
		proctree.SetForeground(0, syscall.Getpgrp())
		signal.Notify(g.sigc, g.caught...) // SetForeground reset SIGTTOU
	}
	pid, err := g.start(args)
	if err != nil {
		errno, ok := err.(syscall.Errno)
		if !ok {
			errno = syscall.EINVAL
		}
		g.say(Report{Failed, int(errno)})
		return 0
	}
	g.cmd = pid
	g.say(Report{Started, pid})

	orphaned := make(chan struct{})
	go func() { // ends with the supervisor's end of the pipe, or the process
		// Not io.Copy to io.Discard: its interface checks and pooled
		// buffer touch code and data no other path of the guard does.
		var b [64]byte
		for {
			if _, err := ctlR.Read(b[:]); err != nil {
				break
			}
		}
		close(orphaned)
	}()
	for {
		g.collect()
		if g.cmdDone && g.childless {
			return 0
		}
		select {
		case s := <-g.sigc:
			g.handle(s)
		case <-orphaned:
			g.stopTree()
			return 0
		}
	}
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
// to know of; SIGCHLD only wakes the loop; the rest are for COMMAND.
func (g *guard) handle(s os.Signal) {
	if s == syscall.SIGINT {
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
		case exit != nil:
			awaitHandled(syscall.SIGINT, ctrlCHandledLimit)
			g.flushSignals()
			if exit.Signal != 0 {
				g.say(Report{Killed, int(exit.Signal)})
			} else {
				g.say(Report{Exited, exit.Code})
			}
			reapCommand(g.cmd)
			g.cmdDone = true
		case stop != 0:
			g.say(Report{Stopped, int(stop)})
			continue
		}
		break
	}
	g.childless = reapOthers(g.cmd, g.cmdDone)
}

// stopTree ends COMMAND's tree when the supervisor is gone (killed, so it
// could not): the stop signal, and SIGKILL after the grace period, but
// never later than a second, so that nothing is left within two.
func (g *guard) stopTree() {
	proctree.Stop(orphanedTree{g}, g.stopSig, min(g.grace, time.Second), g.sigc, nil)
}

// signalGroup sends sig to the guard's process group, COMMAND's: the guard
// catches the stop signal, and SIGKILL, the last resort, is sent once the
// rest of the tree is killed, so the guard's end then is the tree's.
func signalGroup(sig syscall.Signal) { _ = syscall.Kill(0, sig) }

// orphanedTree is COMMAND's tree as the guard stops it.
type orphanedTree struct{ g *guard }

func (t orphanedTree) Sweep() bool {
	t.g.collect()
	return t.g.cmdDone && t.g.childless
}

func (t orphanedTree) Signal(sig syscall.Signal) { t.g.signalTree(sig) }

// start starts COMMAND in the guard's process group and returns its pid
// once it was executed, or why it could not be. With sockets (LISTEN_FDS)
// it goes through the exec shim, which sets LISTEN_PID to its own pid,
// COMMAND's to be; otherwise COMMAND is executed directly.
func (g *guard) start(args guardArgs) (int, error) {
	sys := &syscall.SysProcAttr{Setpgid: true, Pgid: syscall.Getpgrp()}
	sockets := listenFDs()
	if sockets == 0 {
		return syscall.ForkExec(args.path, args.argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: sys})
	}
	files := []uintptr{0, 1, 2}
	for i := range sockets {
		// The shim gets copies from fdShimSockets on; these must not follow them.
		syscall.CloseOnExec(fdGuardSockets + i)
		files = append(files, uintptr(fdGuardSockets+i))
	}
	defer func() {
		for i := range sockets { // COMMAND has them now
			syscall.Close(fdGuardSockets + i)
		}
	}()
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

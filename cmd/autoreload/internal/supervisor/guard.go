package supervisor

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// The guard: see "Theory of operation" in doc.go.

// roleVar, with the matching argv[0], makes Main run the program as the
// guard or the exec shim. Both remove it from their environment at once,
// so COMMAND never sees it.
const (
	roleVar   = "AUTORELOAD_ROLE"
	guardName = "autoreload-guard"
	shimName  = "autoreload-exec"
)

// Main must be the first call of the program's main. When the process is
// one the supervisor started by re-executing the program (COMMAND's guard,
// or the exec shim that becomes COMMAND), Main does that job and exits;
// otherwise it returns at once and changes nothing.
func Main() {
	role, ok := os.LookupEnv(roleVar)
	switch {
	case !ok:
	case role == "guard" && len(os.Args) > 0 && os.Args[0] == guardName:
		// syscall.Exit, not os.Exit: nothing to flush, and a race-enabled
		// build would sleep a second in os.Exit, holding up every restart.
		syscall.Exit(runGuard(os.Args[1:]))
	case role == "exec" && len(os.Args) > 0 && os.Args[0] == shimName:
		syscall.Exit(runShim(os.Args[1:]))
	}
}

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

// runGuard is the guard's main. Descriptor 3 is the control pipe, whose
// end (EOF) means the supervisor is gone; 4 is the report pipe, one line a
// report: "started PID" or "failed ERRNO" first, then "stopped SIG",
// "interrupt" and "exited CODE" or "killed SIG"; from 5 on come the sockets
// LISTEN_FDS announces, for COMMAND. args are the stop signal,
// the grace period in nanoseconds, 1 when COMMAND takes the terminal's
// foreground, COMMAND's path and its argv.
func runGuard(args []string) int {
	os.Unsetenv(roleVar)
	// Neither pipe may reach COMMAND.
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	ctl, report := os.NewFile(3, "control"), os.NewFile(4, "report")
	if len(args) < 5 {
		return 2
	}
	sig, err1 := strconv.Atoi(args[0])
	grace, err2 := strconv.ParseInt(args[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 2
	}
	nameGuard()
	becomeSubreaper()
	g := &guard{stopSig: syscall.Signal(sig), grace: time.Duration(grace), report: report}
	g.catch()
	sockets := listenFDs()
	for i := range sockets {
		// The shim gets copies from 3 on; these must not follow them.
		syscall.CloseOnExec(socketsAt + i)
	}
	pid, err := startShim(args[3], args[4:], args[2] == "1", sockets)
	for i := range sockets { // COMMAND has them now
		syscall.Close(socketsAt + i)
	}
	if err != nil {
		errno, ok := err.(syscall.Errno)
		if !ok {
			errno = syscall.EINVAL
		}
		g.say("failed " + strconv.Itoa(int(errno)))
		return 0
	}
	g.cmd = pid
	g.say("started " + strconv.Itoa(pid))

	orphaned := make(chan struct{})
	go func() { // ends with the supervisor's end of the pipe, or the process
		_, _ = io.Copy(io.Discard, ctl)
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
		g.say("interrupt")
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

// say writes one report; with the supervisor gone it fails, harmlessly.
func (g *guard) say(line string) { _, _ = g.report.WriteString(line + "\n") }

// collect reports every change of COMMAND's state and reaps what ended.
func (g *guard) collect() {
	for !g.cmdDone {
		stop, exit := peekCommand(g.cmd)
		switch {
		case exit != nil:
			awaitHandled(syscall.SIGINT, 100*time.Millisecond)
			g.flushSignals()
			if exit.signal != 0 {
				g.say("killed " + strconv.Itoa(int(exit.signal)))
			} else {
				g.say("exited " + strconv.Itoa(exit.code))
			}
			reapCommand(g.cmd)
			g.cmdDone = true
		case stop != 0:
			g.say("stopped " + strconv.Itoa(int(stop)))
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
	// Out of COMMAND's group, so that the group can be killed whole.
	_ = syscall.Setpgid(0, 0)
	g.signalTree(g.stopSig)
	g.signalTree(syscall.SIGCONT)
	kill := time.NewTimer(min(g.grace, time.Second))
	defer kill.Stop()
	tick := time.NewTicker(10 * time.Millisecond) // SIGCHLD is the event; this the safety net
	defer tick.Stop()
	killed := false
	for {
		g.collect()
		if g.cmdDone && g.childless {
			return
		}
		select {
		case <-g.sigc:
		case <-tick.C:
		case <-kill.C:
			killed = true
		}
		if killed {
			g.signalTree(syscall.SIGKILL) // newcomers too
		}
	}
}

// startShim starts COMMAND through the exec shim, in a process group of its
// own (its pid is the group's id), and joins that group so that the
// terminal's signals for COMMAND reach the guard too. It returns once
// COMMAND was executed, or why it could not be.
func startShim(path string, argv []string, foreground bool, sockets int) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	// joined tells the shim the guard is in COMMAND's group: until then a
	// Ctrl-C would reach COMMAND and not the guard, and go untold.
	joinedR, joinedW, err := os.Pipe()
	if err != nil {
		r.Close()
		w.Close()
		return 0, err
	}
	fg := "0"
	if foreground {
		fg = "1"
	}
	args := append([]string{shimName, fg, path}, argv...)
	pid, err := syscall.ForkExec(selfExe(), args, &syscall.ProcAttr{
		Env:   append(os.Environ(), roleVar+"=exec"),
		Files: shimFiles(sockets, w, joinedR),
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	w.Close()
	joinedR.Close()
	if err != nil {
		r.Close()
		joinedW.Close()
		return 0, err
	}
	_ = syscall.Setpgid(0, pid)
	joinedW.Close()         // EOF for the shim: go on
	msg, _ := io.ReadAll(r) // EOF at the exec of COMMAND: the pipe is close-on-exec
	r.Close()
	if len(msg) == 0 {
		return pid, nil
	}
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, 0, nil)
	n, _ := strconv.Atoi(string(msg))
	return 0, syscall.Errno(n)
}

// runShim is the exec shim's main: between the fork and the exec of
// COMMAND, in COMMAND's process (so with its pid), it takes the terminal's
// foreground when args[0] is 1 and sets LISTEN_PID to that pid when
// LISTEN_FDS is set, then executes COMMAND (args[1], argv args[2:]). A
// failed exec is written as an errno to descriptor 3, or to the one after
// the sockets when it has LISTEN_FDS of them.
func runShim(args []string) int {
	os.Unsetenv(roleVar)
	errFD := 3 + listenFDs() // after the sockets
	syscall.CloseOnExec(errFD)
	// Wait for the guard to join this group (the end of the pipe after
	// errFD) before COMMAND can be given a Ctrl-C.
	joined := os.NewFile(uintptr(errFD+1), "guard joined")
	_, _ = io.Copy(io.Discard, joined)
	joined.Close()
	if len(args) < 3 {
		return 127
	}
	if args[0] == "1" {
		takeForeground(0)
	}
	if _, ok := os.LookupEnv("LISTEN_FDS"); ok {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	err := syscall.Exec(args[1], args[2:], os.Environ())
	errno, ok := err.(syscall.Errno)
	if !ok {
		errno = syscall.EINVAL
	}
	_, _ = os.NewFile(uintptr(errFD), "exec error").WriteString(strconv.Itoa(int(errno)))
	return 127
}

// The sockets of --socket (Options.Sockets) travel with LISTEN_FDS=n in
// the environment: the supervisor gives them to the guard from descriptor
// socketsAt on, after its pipes; the guard gives them to the exec shim,
// and so to COMMAND, from 3 on, and the shim's exec-error pipe follows
// them. Neither keeps a copy past the start of the next.
const socketsAt = 5

// listenFDs is the number of sockets LISTEN_FDS announces; 0 without it.
func listenFDs() int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 || n > 1000 {
		return 0
	}
	return n
}

// shimFiles are the exec shim's descriptors: stdio, the sockets, then w
// (the exec error) and joined (the guard is in COMMAND's group).
func shimFiles(sockets int, w, joined *os.File) []uintptr {
	files := []uintptr{0, 1, 2}
	for i := range sockets {
		files = append(files, uintptr(socketsAt+i))
	}
	return append(files, w.Fd(), joined.Fd())
}

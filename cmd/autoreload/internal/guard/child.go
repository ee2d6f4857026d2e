package guard

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// Config is what a guard needs to start COMMAND, again and again.
type Config struct {
	Path string   // COMMAND's executable
	Argv []string // COMMAND's argv
	Env  []string // COMMAND's environment (LISTEN_FDS with the sockets); each start adds to it
	// Files are COMMAND's stdin, stdout and stderr, then the sockets it
	// gets from descriptor 3 on.
	Files      []*os.File
	Dir        string // the guard's and COMMAND's working directory; "": the caller's
	StopSignal syscall.Signal
	Grace      time.Duration // between the stop signal and SIGKILL; min(Grace, 1s) once orphaned
}

// ErrGuardEnded is an order whose guard ended before it answered: it was
// killed.
var ErrGuardEnded = errors.New("its guard ended")

// ErrHeld is a restart whose start was dropped (Restart's hold).
var ErrHeld = errors.New("start held")

// Guard is a guard process, started once for every start of one COMMAND:
// the leader of the process group each COMMAND runs in, and the subreaper
// of their trees. Its methods are called from one goroutine.
type Guard struct {
	Pid int // the guard's pid, the caller's child, and COMMAND's process group id
	// Clock stamps each Child's Begun; nil: time.Now.
	Clock func() time.Time

	ctl *os.File // orders; closing it tells the guard the supervisor is gone
	// restore gives every COMMAND back the environment entries guardEnv
	// replaced in the guard's (its runtime settings).
	restore []string
	answers chan answer
	done    chan struct{} // closed when its reports ended: it exited
	poke    func()

	mu     sync.Mutex
	cur    *Child // the last COMMAND started
	begun  time.Time
	ended  bool
	closed bool

	reaped bool
	status syscall.WaitStatus
}

// answer is a report that answers an order: Started, Failed or Gone, with
// the Child that Started made.
type answer struct {
	Report
	child *Child
}

// Child is one COMMAND started by a guard.
type Child struct {
	Pid   int // COMMAND's pid
	Guard int // its guard's pid, and COMMAND's process group id
	// Begun is the Clock just before COMMAND could first run: as Start
	// ordered it, or as the guard said that a restart's stop was over.
	// Started is when its start was known.
	Begun, Started time.Time

	g       *Guard
	pending Pending // under g.mu
}

// Pending is what the guard reported of a COMMAND and Take did not hand
// out yet.
type Pending struct {
	// Status is COMMAND's end, once reported; it stays.
	Status *proctree.Status
	// Stopped is the signal that last stopped COMMAND (job control), once
	// per stop.
	Stopped syscall.Signal
	// Interrupts are the times of the Ctrl-Cs the guard saw.
	Interrupts []time.Time
	// Ended: the guard's reports ended, so it exited; it stays.
	Ended bool
}

// New starts a guard for cfg, which starts nothing until Start. poke is
// called from another goroutine after each report that is not an answer
// (an end, a stop, a Ctrl-C) and when the guard's reports end.
func New(cfg Config, poke func()) (*Guard, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, err
	}
	fds := []uintptr{cfg.Files[0].Fd(), cfg.Files[1].Fd(), cfg.Files[2].Fd(), ctlR.Fd(), repW.Fd()} // fdControl, fdReport
	for _, f := range cfg.Files[3:] {                                                               // from fdGuardSockets on
		fds = append(fds, f.Fd())
	}
	args := guardArgs{stopSignal: cfg.StopSignal, grace: cfg.Grace, path: cfg.Path, argv: cfg.Argv}
	env, restore := guardEnv(cfg.Env)
	pid, err := syscall.ForkExec(selfExe(), args.encode(), &syscall.ProcAttr{
		Env: env, Files: fds, Dir: cfg.Dir,
		// A group of its own, COMMAND's to be: a Ctrl-C for the supervisor
		// never reaches it.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	runtime.KeepAlive(cfg.Files) // their descriptors must stay open until ForkExec returned
	ctlR.Close()
	repW.Close()
	if err != nil {
		ctlW.Close()
		repR.Close()
		return nil, fmt.Errorf("starting its guard: %w", err)
	}
	g := &Guard{Pid: pid, ctl: ctlW, restore: restore, answers: make(chan answer, 4), done: make(chan struct{}), poke: poke}
	go g.read(repR)
	return g, nil
}

// Start starts COMMAND, in the terminal's foreground or not, with env
// (KEY=VALUE) added to its environment, and returns once it was executed;
// a failure is the errno of the exec, or ErrGuardEnded.
func (g *Guard) Start(foreground bool, env []string) (*Child, error) {
	g.mu.Lock()
	g.begun = g.now()
	g.mu.Unlock()
	g.order(control{op: opGo, foreground: foreground, env: slices.Concat(g.restore, env)})
	var never <-chan struct{}
	return g.awaitStart(&never, &never)
}

// Restart stops the running COMMAND's tree, as Stop does, and starts
// COMMAND again as Start does, all in the guard: nothing but the stop and
// the exec between this call and COMMAND's first instruction. A close of
// kill makes the stop SIGKILL at once; a close of hold drops the start if
// the stop is still under way (ErrHeld).
func (g *Guard) Restart(foreground bool, env []string, kill, hold <-chan struct{}) (*Child, error) {
	if isClosed(kill) {
		g.order(control{op: opKill})
		kill = nil
	}
	g.order(control{op: opRestart, foreground: foreground, env: slices.Concat(g.restore, env)})
	if err := g.await(Gone, &kill, &hold); err != nil {
		return nil, err
	}
	return g.awaitStart(&kill, &hold)
}

// Stop stops the running COMMAND's tree (if anything of it is left): the
// stop signal and SIGCONT, SIGKILL after the grace period or once kill is
// closed, and returns once nothing of it is alive.
func (g *Guard) Stop(kill <-chan struct{}) error {
	if isClosed(kill) {
		g.order(control{op: opKill})
		kill = nil
	}
	g.order(control{op: opStop})
	var never <-chan struct{}
	return g.await(Gone, &kill, &never)
}

// order writes one order; a guard that is gone is found by the wait for
// its answer.
func (g *Guard) order(m control) { _, _ = g.ctl.Write(m.encode()) }

// await waits for the answer want, passing kill and hold on as orders.
func (g *Guard) await(want Kind, kill, hold *<-chan struct{}) error {
	a, ok := g.nextAnswer(kill, hold)
	switch {
	case !ok:
		return ErrGuardEnded
	case a.Kind != want:
		return fmt.Errorf("guard: answer %v, want %v", a.Report, want)
	}
	return nil
}

// awaitStart waits for Started or Failed.
func (g *Guard) awaitStart(kill, hold *<-chan struct{}) (*Child, error) {
	a, ok := g.nextAnswer(kill, hold)
	switch {
	case !ok:
		return nil, ErrGuardEnded
	case a.Kind == Started:
		return a.child, nil
	case a.Kind == Failed && a.Value == int(syscall.ECANCELED):
		return nil, ErrHeld
	case a.Kind == Failed:
		return nil, syscall.Errno(a.Value)
	}
	return nil, fmt.Errorf("guard: answer %v, want started", a.Report)
}

// nextAnswer waits for the guard's next answer, passing kill and hold on
// as orders (each once); ok is false when the guard ended without one.
func (g *Guard) nextAnswer(kill, hold *<-chan struct{}) (a answer, ok bool) {
	for {
		select {
		case a := <-g.answers:
			return a, true
		case <-g.done:
			select { // an answer read just before the end is still one
			case a := <-g.answers:
				return a, true
			default:
				return answer{}, false
			}
		case <-*kill:
			*kill = nil
			g.order(control{op: opKill})
		case <-*hold:
			*hold = nil
			g.order(control{op: opHold})
		}
	}
}

func (g *Guard) now() time.Time {
	if g.Clock != nil {
		return g.Clock()
	}
	return time.Now()
}

// Kill makes the stop under way, and every later one, send SIGKILL at once.
func (g *Guard) Kill() { g.order(control{op: opKill}) }

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// read collects the guard's reports until it ends.
func (g *Guard) read(f *os.File) {
	defer close(g.done)
	defer f.Close()
	rd := newLineReader(f)
	for {
		line, err := rd.ReadString('\n')
		if r, bad := DecodeReport(line); bad == nil {
			g.take(r)
		}
		if err != nil {
			g.mu.Lock()
			g.ended = true
			if g.cur != nil {
				g.cur.pending.Ended = true
			}
			g.mu.Unlock()
			g.poke()
			return
		}
	}
}

// take files one report: an answer for the order waiting, the rest for
// the COMMAND it concerns, the last started.
func (g *Guard) take(r Report) {
	g.mu.Lock()
	c := g.cur
	switch {
	case r.Kind == Started:
		c = &Child{Pid: r.Value, Guard: g.Pid, Begun: g.begun, Started: time.Now(), g: g}
		g.cur = c
	case r.Kind == Gone:
		g.begun = g.now()
	case c == nil, r.Kind == Failed:
	case r.Kind == Exited:
		c.pending.Status = &proctree.Status{Code: r.Value}
	case r.Kind == Killed:
		c.pending.Status = &proctree.Status{Code: -1, Signal: syscall.Signal(r.Value)}
	case r.Kind == Stopped:
		c.pending.Stopped = syscall.Signal(r.Value)
	case r.Kind == Interrupted:
		c.pending.Interrupts = append(c.pending.Interrupts, time.Now())
	}
	g.mu.Unlock()
	switch r.Kind {
	case Started, Failed, Gone:
		g.answers <- answer{r, c}
	default:
		g.poke()
	}
}

// Take returns what the guard reported of c since the last Take (Status
// and Ended stay once set).
func (c *Child) Take() Pending {
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	p := c.pending
	c.pending.Stopped, c.pending.Interrupts = 0, nil
	return p
}

// Ended reports whether the guard's reports ended: it exited.
func (g *Guard) Ended() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ended
}

// Closed reports whether Close was called.
func (g *Guard) Closed() bool { return g.closed }

// Close tells the guard that it is no longer needed: it stops what is left
// of the tree (as if the supervisor were gone) and exits, and its reports
// end (Done).
func (g *Guard) Close() {
	if g == nil || g.closed {
		return
	}
	g.closed = true
	g.ctl.Close()
}

// Done is closed once the guard's reports ended.
func (g *Guard) Done() <-chan struct{} { return g.done }

// Reaped reports whether the guard was reaped: until then its pid,
// COMMAND's process group id, cannot be anyone else's.
func (g *Guard) Reaped() bool { return g.reaped }

// Reap reaps the guard if it ended, without waiting; never again once
// reaped, for its pid may then be another child's. It reports whether it
// is reaped.
func (g *Guard) Reap() bool {
	if !g.reaped {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(g.Pid, &ws, syscall.WNOHANG, nil); got == g.Pid {
			g.reaped, g.status = true, ws
		}
	}
	return g.reaped
}

// Await reaps the guard, waiting for it, and returns how it ended. It is
// for a guard that is exiting: closed, or whose reports ended.
func (g *Guard) Await() syscall.WaitStatus {
	if !g.reaped {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(g.Pid, &ws, 0, nil); got == g.Pid {
			g.reaped, g.status = true, ws
		}
	}
	return g.status
}

// Of is c's guard.
func (c *Child) Of() *Guard { return c.g }

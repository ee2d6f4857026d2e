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

// Config is what a guard needs to start COMMAND.
type Config struct {
	Path string   // COMMAND's executable
	Argv []string // COMMAND's argv
	Env  []string // COMMAND's whole environment (LISTEN_FDS with the sockets)
	// Files are COMMAND's stdin, stdout and stderr, then the sockets it
	// gets from descriptor 3 on.
	Files      []*os.File
	Foreground bool   // COMMAND takes the terminal's foreground (Files[0])
	Dir        string // the guard's and COMMAND's working directory; "": the caller's
	StopSignal syscall.Signal
	Grace      time.Duration // the guard's own stop waits min(Grace, 1s)
}

// ErrGuardEnded is a start whose guard ended before it said whether
// COMMAND started: it was killed.
var ErrGuardEnded = errors.New("its guard ended")

// Child is a COMMAND started under a guard.
type Child struct {
	Pid     int // COMMAND's pid
	Guard   int // the guard's pid, and COMMAND's process group id
	Started time.Time

	ctl  *os.File      // closing it tells the guard the supervisor is gone
	done chan struct{} // closed when the guard's reports ended

	mu      sync.Mutex
	pending Pending

	guardReaped bool
	guardStatus syscall.WaitStatus
}

// Pending is what the guard reported and Take did not hand out yet.
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

// Spare is a guard started ahead, waiting for its go-ahead: the next
// COMMAND's guard, whose start (a Go runtime) is then off the critical
// path of a restart.
type Spare struct {
	Pid  int    // the spare guard's pid, the supervisor's child
	Path string // the COMMAND it will start
	ctl  *os.File
	rep  *os.File
	// restore gives COMMAND back the environment entries guardEnv
	// replaced in the guard's.
	restore []string
}

// Prestart starts a guard for cfg that waits for Go; cfg.Foreground is
// ignored (Go says it).
func Prestart(cfg Config) (*Spare, error) {
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
	return &Spare{Pid: pid, Path: cfg.Path, ctl: ctlW, rep: repR, restore: restore}, nil
}

// Go tells the spare to start COMMAND, in the terminal's foreground or
// not, with env (KEY=VALUE) added to its environment, and returns once
// COMMAND was executed; a failure is the errno of the exec, or
// ErrGuardEnded (the spare was killed meanwhile). poke is called from
// another goroutine after each report.
func (sp *Spare) Go(foreground bool, env []string, poke func()) (*Child, error) {
	_, werr := sp.ctl.Write(goAhead{foreground: foreground, env: slices.Concat(sp.restore, env)}.encode())
	rd := newLineReader(sp.rep)
	first, _ := rd.ReadString('\n')
	r, err := DecodeReport(first)
	if werr != nil || err != nil || r.Kind != Started || r.Value <= 0 {
		sp.ctl.Close()
		sp.rep.Close()
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(sp.Pid, &ws, 0, nil) // it ends once it said why
		if err == nil && r.Kind == Failed {
			return nil, syscall.Errno(r.Value)
		}
		return nil, ErrGuardEnded
	}
	c := &Child{Pid: r.Value, Guard: sp.Pid, Started: time.Now(), ctl: sp.ctl, done: make(chan struct{})}
	go c.read(rd, sp.rep, poke)
	return c, nil
}

// Dismiss ends a spare that is not needed: it exits at the end of its
// control pipe, and is reaped here.
func (sp *Spare) Dismiss() {
	sp.ctl.Close()
	sp.rep.Close()
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(sp.Pid, &ws, 0, nil)
}

// Start starts a guard, which starts COMMAND at once (Prestart, then Go).
func Start(cfg Config, poke func()) (*Child, error) {
	sp, err := Prestart(cfg)
	if err != nil {
		return nil, err
	}
	return sp.Go(cfg.Foreground, nil, poke)
}

// read collects the guard's reports until it ends; Release waits for it.
func (c *Child) read(rd *lineReader, f *os.File, poke func()) {
	defer close(c.done)
	defer f.Close()
	for {
		line, err := rd.ReadString('\n')
		r, bad := DecodeReport(line)
		c.mu.Lock()
		switch {
		case bad != nil:
		case r.Kind == Exited:
			c.pending.Status = &proctree.Status{Code: r.Value}
		case r.Kind == Killed:
			c.pending.Status = &proctree.Status{Code: -1, Signal: syscall.Signal(r.Value)}
		case r.Kind == Stopped:
			c.pending.Stopped = syscall.Signal(r.Value)
		case r.Kind == Interrupted:
			c.pending.Interrupts = append(c.pending.Interrupts, time.Now())
		}
		c.pending.Ended = err != nil
		c.mu.Unlock()
		poke()
		if err != nil {
			return
		}
	}
}

// Take returns what the guard reported since the last Take (Status and
// Ended stay once set).
func (c *Child) Take() Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending
	c.pending.Stopped, c.pending.Interrupts = 0, nil
	return p
}

// Ended reports whether the guard's reports ended: it exited.
func (c *Child) Ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending.Ended
}

// GuardReaped reports whether the guard was reaped: until then its pid,
// COMMAND's process group id, cannot be anyone else's.
func (c *Child) GuardReaped() bool { return c.guardReaped }

// Released reports whether Release was called.
func (c *Child) Released() bool { return c.ctl == nil }

// Release lets the guard go once COMMAND's tree is over, without waiting
// for it to exit: its reports end by themselves (Done).
func (c *Child) Release() {
	if c == nil || c.ctl == nil {
		return
	}
	c.ctl.Close()
	c.ctl = nil
}

// Done is closed once the guard's reports ended.
func (c *Child) Done() <-chan struct{} { return c.done }

// ReapGuard reaps the guard if it ended, without waiting; never again once
// reaped, for its pid may then be another child's. It reports whether it
// is reaped.
func (c *Child) ReapGuard() bool {
	if !c.guardReaped {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(c.Guard, &ws, syscall.WNOHANG, nil); got == c.Guard {
			c.guardReaped, c.guardStatus = true, ws
		}
	}
	return c.guardReaped
}

// AwaitGuard reaps the guard, waiting for it, and returns how it ended. It
// is for a guard whose reports ended: one that is exiting.
func (c *Child) AwaitGuard() syscall.WaitStatus {
	if !c.guardReaped {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(c.Guard, &ws, 0, nil); got == c.Guard {
			c.guardReaped, c.guardStatus = true, ws
		}
	}
	return c.guardStatus
}

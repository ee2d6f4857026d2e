package proctree

import (
	"os"
	"syscall"
	"time"
)

// Tree is a tree of processes as its owner sees it.
type Tree interface {
	// Sweep reaps what of the tree ended and reports whether nothing of it
	// is left (its leader reaped, no process alive).
	Sweep() (gone bool)
	// Signal sends sig to every live process of the tree (as of the last
	// Sweep) and to its group while the group id is surely the tree's.
	Signal(sig syscall.Signal)
}

// Stop ends t: sig and SIGCONT (a stopped process must wake to die), then
// SIGKILL after grace, or at once when kill is closed (before or during
// the stop), and returns once t.Sweep reports it gone. Every death in a
// tree wakes its reaper with SIGCHLD, sent on wake; a poll growing to
// 64 ms is the safety net. A nil kill never closes.
func Stop(t Tree, sig syscall.Signal, grace time.Duration, wake <-chan os.Signal, kill <-chan struct{}) {
	if t.Sweep() {
		return
	}
	killed := false
	select {
	case <-kill:
		killed, kill = true, nil
	default:
	}
	if killed {
		t.Signal(syscall.SIGKILL)
	} else {
		t.Signal(sig)
		t.Signal(syscall.SIGCONT)
	}
	graceT := time.NewTimer(grace)
	defer graceT.Stop()
	poll := time.Millisecond
	for !t.Sweep() {
		if killed {
			t.Signal(syscall.SIGKILL) // newcomers too
		}
		tick := time.NewTimer(poll)
		poll = min(2*poll, 64*time.Millisecond)
		select {
		case <-wake:
		case <-tick.C:
		case <-graceT.C:
			killed = true
		case <-kill:
			kill, killed = nil, true
		}
		tick.Stop()
		if killed {
			t.Signal(syscall.SIGKILL)
		}
	}
}

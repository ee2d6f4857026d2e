package supervisor

import "syscall"

// Job control when COMMAND does not hold the terminal (autoreload -I keeps
// it): the terminal's Ctrl-Z stops the caller's process group, not
// COMMAND's, so the caller holds COMMAND while it is stopped itself, and
// the job stops and goes on as one, as when COMMAND holds the terminal
// (jobcontrol.go).

// Hold stops the group of the COMMAND running now, if one runs, with
// SIGTSTP (its guard, which catches it, stays awake to stop the tree if
// the supervisor dies meanwhile), and returns what continues it. Any
// goroutine may call it.
func (s *Supervisor) Hold() (release func()) {
	pgid := int(s.running.Load())
	if pgid == 0 {
		return func() {}
	}
	_ = syscall.Kill(-pgid, syscall.SIGTSTP)
	return func() { _ = syscall.Kill(-pgid, syscall.SIGCONT) }
}

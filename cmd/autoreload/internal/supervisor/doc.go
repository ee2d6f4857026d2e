// Package supervisor runs COMMAND as a child in its own process group and
// restarts it on request, without ever leaving a process behind.
//
// Guarantees:
//   - A restart stops the old COMMAND first: the stop signal goes to its
//     process group (and to every descendant that left the group), SIGKILL
//     follows after the grace period, and the next COMMAND starts only when
//     no process of the old tree is alive — grandchildren, setsid'd daemons
//     and zombies included. On Linux the supervisor is the subreaper of its
//     descendants, so orphans are re-parented to it, reaped by it and seen in
//     /proc; elsewhere the process group is what it can see.
//   - Requests that arrive within the debounce window, or while COMMAND is
//     being stopped, join one restart; AUTORELOAD_CHANGED lists them all.
//   - Exit code 3 restarts COMMAND at once (Django's protocol), backing off
//     when it keeps exiting 3 right after each start; other exits follow
//     the OnExit policy.
//   - COMMAND's tree does not outlive a supervisor killed with SIGKILL: its
//     guard stops it within two seconds (see below). A guard that dies
//     first (an OOM kill, a stray kill -9) is noticed by the end of its
//     reports: the supervisor stops the tree itself and starts COMMAND
//     again under a new guard, with one warning (see lostguard.go).
//   - On a terminal COMMAND is given the foreground while it runs, and
//     COMMAND and the supervisor stop and continue as one job: Ctrl-Z stops
//     both and gives the shell the terminal, fg and bg continue both (see
//     jobcontrol.go).
//   - On a terminal, Ctrl-C is a request to quit, even while COMMAND holds
//     the foreground: its guard reports it, and Run ends when COMMAND ends
//     within the grace period of it, ignores SIGINT, or gets a second one
//     (see ctrlc.go).
//   - Restart loops (COMMAND writing into the watched tree as it starts)
//     are told from a person's edits by the files' modification times,
//     warned about once and backed off (see restartloop.go).
//   - With Options.Sockets, every start of COMMAND gets them as
//     descriptors 3, 4, … with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
//     (set by the exec shim, so it is COMMAND's own pid); without them
//     COMMAND gets no descriptor but stdio and no LISTEN_* variable.
//   - With Options.Build, a build runs before each start (build.go): the
//     running COMMAND is stopped only when it succeeds; a failed build
//     leaves it running and its changes carry over; a change during a
//     build cancels it for a new one, so one start follows with all.
//
// The supervisor knows nothing about files: whoever watches them calls
// Restart (or RestartChanges, with modification times) with the paths that
// changed. Setup makes the process-wide changes supervising needs; Main
// runs the guard and the exec shim.
//
// # Theory of operation
//
// Each start of COMMAND runs three programs, all of them the supervisor's
// own binary but the last: the program calls Main first thing, which
// dispatches on AUTORELOAD_ROLE and argv[0] to the role asked for.
//
//	supervisor ──fork/exec──▶ guard ──fork/exec──▶ exec shim ══exec══▶ COMMAND
//	(its group)               (joins COMMAND's group)   (pid = COMMAND's pid = group id)
//
// The exec shim is COMMAND's process before COMMAND: started in a new
// process group, it takes the terminal's foreground (when the supervisor
// holds it), sets LISTEN_PID to its own pid when LISTEN_FDS is set (which
// Go's fork and exec cannot do), and executes COMMAND, which keeps the pid.
// So COMMAND's pid is its process group id, and the pid logged as started
// and exited.
//
// The guard is COMMAND's parent and the subreaper of COMMAND's tree, so
// every orphan of the tree is re-parented to it and stays in its subtree.
// It
//   - reports COMMAND's state to the supervisor, one line each on a pipe:
//     started, stopped by a signal (for job control), ended (code or
//     signal). On Linux it reports an end before reaping it (waitid with
//     WNOWAIT), so a guard killed in between leaves the zombie to the
//     supervisor, its subreaper, which reaps it and learns the status
//     itself: no end is lost or told twice;
//   - sits in COMMAND's process group, so the terminal's SIGINT (Ctrl-C)
//     reaches it as it reaches COMMAND, and reports it; it catches every
//     signal a terminal or a stop sends the group, so none ends or stops
//     it (caught signals revert to the default in COMMAND; inherited
//     ignored ones stay ignored, as they would without it);
//   - watches a control pipe whose only writer is the supervisor: its end
//     means the supervisor died, even by SIGKILL, and the guard then stops
//     the tree itself, with the stop signal and SIGKILL after
//     min(grace, 1s), reaping everything before it exits;
//   - exits once COMMAND has ended and it has no child left.
//
// The supervisor stops a group as before, signalling the group and every
// descendant it finds below itself (the guard included: SIGKILL ends it
// too, and its orphans then come to the supervisor). The guard's
// environment is COMMAND's, without AUTORELOAD_HELPER_OF, so it is never
// taken for a daemon of the supervisor's own helpers and spared.
package supervisor

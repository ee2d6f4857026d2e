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
//     (set by the guard's exec shim, so it is COMMAND's own pid); without them
//     COMMAND gets no descriptor but stdio and no LISTEN_* variable.
//   - With Options.Build, a build runs before each start (build.go): the
//     running COMMAND is stopped only when it succeeds; a failed build
//     leaves it running and its changes carry over; a change during a
//     build cancels it for a new one, so one start follows with all.
//   - With Options.Postpone, nothing starts before the first request, whose
//     changes the first start gets. Options.BeforeStart is called as each
//     start begins (before its build), in Run's goroutine.
//   - With a Stdin that is no terminal (autoreload -I gives /dev/null),
//     COMMAND never gets the foreground, and a COMMAND stopped for using
//     the terminal anyway stays stopped, with a warning, until the next
//     restart. Hold stops COMMAND while the caller is stopped itself
//     (hold.go).
//
// The supervisor knows nothing about files: whoever watches them calls
// Restart (or RestartChanges, with modification times) with the paths that
// changed. Setup makes the process-wide changes supervising needs.
//
// # Theory of operation
//
// Run is a small state machine (run.go): one method per event — a restart
// requested (a change, a signal; keys later), a timer (a restart loop's
// back-off over, a restart due after an exit), a guard's report or
// SIGCHLD — and settle, which acts on what an event left (Ctrl-C, job
// control, an end of COMMAND, a lost guard).
//
// Every start runs COMMAND under the run's one guard (package guard):
// autoreload's own executable run again as its child, COMMAND's parent and
// the subreaper of its tree, which stops the tree and starts COMMAND again
// on one order (a restart), reports COMMAND's state, and stops the tree
// itself if the supervisor dies. A guard that dies is replaced: its tree
// comes to the supervisor, which stops it with proctree.Stop, signalling
// the group and every descendant it finds below itself. A --build runs
// under a guard of its own (package gate), beside COMMAND's. The guard's
// environment is COMMAND's, without AUTORELOAD_HELPER_OF, so it is never
// taken for a daemon of the supervisor's own helpers and spared.
package supervisor

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
//   - COMMAND does not outlive a supervisor killed with SIGKILL (Pdeathsig,
//     Linux only), and on a terminal it is given the foreground while it runs.
//   - On a terminal, COMMAND and the supervisor stop and continue as one job:
//     Ctrl-Z stops both and gives the shell the terminal, fg and bg continue
//     both (see jobcontrol.go).
//
// The supervisor knows nothing about files: whoever watches them calls
// Restart with the paths that changed.
package supervisor

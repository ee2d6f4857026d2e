// Package guard runs COMMAND under a guard: one small process for the
// whole run, the program's own executable run again, that starts COMMAND,
// stops its tree and starts it again on the supervisor's orders, reports
// what becomes of each COMMAND, and stops the tree itself when the
// supervisor dies, even by SIGKILL.
//
// New starts a guard; Start, Restart and Stop order it, and a Child handle
// per COMMAND carries the guard's reports as values (an end, a stop by job
// control, a Ctrl-C). Main, which this package's initialisation calls
// (before the program's other packages are initialised: see main.go),
// runs the guard (and the exec shim it may start COMMAND through) when the
// process was started as one. The wire protocol between the two sides —
// role, argv and descriptor layout, orders and reports — is in protocol.go.
//
//	supervisor ──fork/exec──▶ guard ──fork/exec──▶ COMMAND, then the next…      (no sockets)
//	(its group)  orders ▶     (leads COMMAND's group,
//	             ◀ reports     subreaper of its tree)
//	                          guard ──fork/exec──▶ exec shim ══exec══▶ COMMAND   (sockets)
//
// A restart is one order: the guard stops the old tree and, once nothing
// of it is alive, executes the next COMMAND, with the environment and
// foreground the order carries (AUTORELOAD_CHANGED; whether COMMAND takes
// the terminal): no pipe round trip and no Go runtime started between the
// old tree's end and COMMAND's first instruction. The exec shim is needed
// only with sockets: in COMMAND's process (so with its pid) it sets
// LISTEN_PID, which Go's fork and exec cannot, and executes COMMAND.
//
// The guard
//   - leads the process group every COMMAND runs in, for the whole run; it
//     gives that group the terminal's foreground (when the order says so)
//     before it executes COMMAND, so a Ctrl-C reaches COMMAND from its
//     first instruction on, and reaches the guard too, which reports it;
//   - catches every signal a terminal or a stop sends the group, its own
//     stop signal included, so none ends or stops it (caught signals
//     revert to the default in COMMAND; inherited ignored ones stay
//     ignored);
//   - stops a tree with the stop signal and SIGCONT to the group, then to
//     what left the group (setsid, daemons: as the subreaper it finds them
//     below itself), and SIGKILL after the grace period, sent to the
//     tree's pids, never to its own group; a tree is gone when the guard
//     has no child left;
//   - reports COMMAND's state, one line each: started, stopped by a
//     signal, ended (code or signal), and gone after each stop. On Linux
//     it reports an end before reaping it (waitid with WNOWAIT), so a
//     guard killed in between leaves the zombie to the supervisor, its
//     subreaper: no end is lost or told twice;
//   - watches its control pipe, whose only writer is the supervisor: its
//     end means the supervisor died (or let it go), and the guard then
//     stops the tree with the stop signal and SIGKILL after min(grace,
//     1s), reaping everything before it exits.
package guard

// Comm is a guard's name in /proc/PID/comm (at most 15 bytes), where ps
// and the tests find it.
const Comm = "ar-guard"

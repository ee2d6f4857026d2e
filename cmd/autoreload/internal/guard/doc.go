// Package guard runs COMMAND under a guard: a small process, the
// program's own executable run again, that is COMMAND's parent and the
// subreaper of its tree, reports what becomes of COMMAND to the
// supervisor, and stops the whole tree itself when the supervisor dies,
// even by SIGKILL.
//
// Start (or Prestart and Go) starts a guard and returns a Child handle once COMMAND runs; the
// guard's reports (Started, Stopped, Interrupted, Exited…) arrive as
// values on the handle. Main, which this package's initialisation calls
// (before the program's other packages are initialised: see main.go),
// runs the guard (and the exec shim it may start COMMAND through) when the
// process was started as one. The wire protocol between the two sides —
// role, argv and descriptor layout, report lines — is in protocol.go.
//
//	supervisor ──fork/exec──▶ guard ──fork/exec──▶ COMMAND          (no sockets)
//	(its group)               (leads COMMAND's group)
//	                          guard ──fork/exec──▶ exec shim ══exec══▶ COMMAND   (sockets)
//
// A guard can be started ahead (Prestart), while the previous COMMAND
// stops, and waits on its control pipe for the go-ahead (Spare.Go), which
// says whether COMMAND takes the terminal's foreground and what of its
// environment is known only then (AUTORELOAD_CHANGED). It leads the
// process group COMMAND is executed into, so a Ctrl-C reaches it from
// COMMAND's first instruction on. The exec shim is needed only with
// sockets: in COMMAND's process (so with its pid) it sets LISTEN_PID,
// which Go's fork and exec cannot, and executes COMMAND.
//
// The guard
//   - reports COMMAND's state, one line each: started, stopped by a
//     signal, ended (code or signal). On Linux it reports an end before
//     reaping it (waitid with WNOWAIT), so a guard killed in between
//     leaves the zombie to the supervisor, its subreaper: no end is lost
//     or told twice;
//   - sits in COMMAND's process group, so the terminal's SIGINT (Ctrl-C)
//     reaches it as it reaches COMMAND, and reports it; it catches every
//     signal a terminal or a stop sends the group, so none ends or stops
//     it (caught signals revert to the default in COMMAND; inherited
//     ignored ones stay ignored);
//   - watches a control pipe whose only writer is the supervisor: its end
//     means the supervisor died, and the guard then stops the tree with
//     the stop signal and SIGKILL after min(grace, 1s), reaping everything
//     before it exits;
//   - exits once COMMAND has ended and it has no child left.
package guard

// Comm is a guard's name in /proc/PID/comm (at most 15 bytes), where ps
// and the tests find it.
const Comm = "ar-guard"

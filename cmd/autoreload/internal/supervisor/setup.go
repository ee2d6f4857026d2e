package supervisor

import "github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"

// Setup prepares the calling process to supervise, once, before it starts
// any process: it changes the whole process, so main calls it, not a
// constructor. It
//
//   - marks the environment with AUTORELOAD_HELPER_OF, so that processes
//     the program starts for itself (the Watchman CLI), and the daemons
//     they leave behind, are never taken for COMMAND's; COMMAND's own
//     environment never carries the mark;
//   - makes every inherited descriptor above stderr close-on-exec, so
//     COMMAND gets only its stdin, stdout and stderr;
//   - on Linux, makes the process the subreaper of its descendants, so a
//     process that leaves COMMAND's tree (a daemon that double-forks) stays
//     below the supervisor, where it can be found and stopped.
//
// Without Setup, a Supervisor still runs COMMAND, but may leak descriptors
// to it, spare none of a helper's daemons and lose track of orphans.
func Setup() {
	markHelpers()
	closeInheritedOnExec()
	proctree.BecomeSubreaper()
}

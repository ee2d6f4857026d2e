// Package gate runs the --build command line that gates each start of
// COMMAND: `sh -c CMD` under a guard of its own (package guard), in a
// process group of its own, with the environment it is given, stdin from
// /dev/null, stdout and stderr as given, and no other descriptor.
//
// Guarantees: Wait returns only once nothing of the build is left: a
// build's job is done when its shell exits, so what it left running is
// killed then. A cancelled build gets the stop signal, and SIGKILL after
// the grace period (the guard's stop); its Result says Cancelled, never a
// failure. Run under a guard, nothing the build started survives a
// SIGKILL of autoreload: the guard stops the build's whole tree with the
// stop signal (SIGTERM when the stop signal is SIGINT, which a shell's
// background jobs ignore) and SIGKILL after at most a second.
package gate

// Package build runs the --build command line before a start of COMMAND:
// `sh -c CMD` in a process group of its own, with the environment it is
// given, stdin from /dev/null, stdout and stderr as given, and no other
// descriptor (every descriptor Go opens is close-on-exec, and the
// supervisor marks inherited ones so).
//
// Guarantees: Wait returns only once the build's leader has ended and
// been reaped. On Linux its group is then sent SIGKILL for anything left
// in it (a build's job is done when its shell exits), while the leader's
// zombie still holds the group id, so the signal cannot reach a group the
// kernel handed out again; elsewhere leftovers are not looked for. A cancelled
// build gets the stop signal on its group, and SIGKILL after the grace
// period; its Result says Cancelled, never a failure.
package build

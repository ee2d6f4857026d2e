// Package jobshell is test support for job control: a minimal job-control
// shell (this test binary run again, see Main) that runs a job on a new
// pseudo-terminal as a shell does, reports its stops and takes fg and bg,
// and a Session that drives it from a test. The job is autoreload end to
// end, or a process running a Supervisor in the supervisor's own tests.
//
// Only tests import it (TestImportsGoOneWay).
package jobshell

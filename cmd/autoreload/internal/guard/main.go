package guard

import (
	"os"
	"syscall"
)

// Main must be the first call of the program's main. When the process is
// one that Start started by re-executing the program (a guard, or the
// exec shim that becomes COMMAND), Main does that job and exits; otherwise
// it returns at once and changes nothing.
func Main() {
	role, ok := os.LookupEnv(roleVar)
	switch {
	case !ok || len(os.Args) == 0:
	case role == roleGuard && os.Args[0] == guardName:
		// syscall.Exit, not os.Exit: nothing to flush, and a race-enabled
		// build would sleep a second in os.Exit, holding up every restart.
		syscall.Exit(runGuard(os.Args[1:]))
	case role == roleShim && os.Args[0] == shimName:
		syscall.Exit(runShim(os.Args[1:]))
	}
}

package guard

import (
	"os"
	"runtime/debug"
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
		// The guard keeps nothing of the watcher's: a small heap, collected
		// often, keeps it light beside every COMMAND. (No memory limit: one
		// below what the runtime itself takes, as under -race, would make
		// it collect without end, and slow its stop.)
		debug.SetGCPercent(20)
		// syscall.Exit, not os.Exit: nothing to flush, and a race-enabled
		// build would sleep a second in os.Exit, holding up every restart.
		syscall.Exit(runGuard(os.Args[1:]))
	case role == roleShim && os.Args[0] == shimName:
		syscall.Exit(runShim(os.Args[1:]))
	}
}

package guard

import (
	"os"
	"syscall"
)

// The guard runs from this package's initialisation, not from the
// program's main: Go initialises a package after its imports and before
// the packages that import it, so the guard starts before the main
// package, the supervisor, the watchers and their dependencies are
// initialised. Their initialisation (flag sets, maps, regexps, the
// resolver) would touch their code and data, and every page touched stays
// in a guard's resident memory beside every COMMAND: 300 KiB (static
// build) to 400 KiB (cgo) of a guard's peak RSS.
func init() { Main() }

// Main runs this process as a guard or an exec shim if Start started it as
// one (by re-executing the program), and exits; otherwise it returns at
// once and changes nothing. The package's initialisation calls it, so any
// program that links this package can be a guard; calling it again is
// harmless.
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

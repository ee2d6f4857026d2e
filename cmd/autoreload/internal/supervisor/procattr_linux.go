package supervisor

import "syscall"

// setDeathSignal makes the kernel kill COMMAND when the supervisor dies, even
// by SIGKILL. The signal follows the forking thread (go.dev/issue/27505);
// the supervisor never locks goroutines to threads, so Go keeps its threads.
func setDeathSignal(sys *syscall.SysProcAttr) { sys.Pdeathsig = syscall.SIGKILL }

//go:build !linux

package supervisor

import "syscall"

// setDeathSignal does nothing: only Linux has Pdeathsig.
func setDeathSignal(*syscall.SysProcAttr) {}

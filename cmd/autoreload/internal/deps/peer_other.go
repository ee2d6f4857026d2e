//go:build !linux

package deps

import (
	"errors"
	"os"
)

type peer struct{ pid, uid int }

// ChildSupported: without /proc and SO_PEERCRED, a peer's place in
// COMMAND's tree cannot be checked, and an unchecked channel is refused.
func ChildSupported() error {
	return errors.New("--deps-from child needs Linux (a peer's process tree cannot be checked here)")
}

func peerOf(*os.File) (peer, error) { return peer{}, errors.ErrUnsupported }

func inTree(pid, command int) bool { return false }

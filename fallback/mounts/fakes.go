package mounts

import (
	"os"
	"path/filepath"
)

// fake is a mount that a test adds to the table Load returns.
type fake struct{ point, fstype string }

// envFakes are set from AUTORELOAD_FAULTS in a binary built with the tag
// autoreload_faults (faults.go); empty otherwise.
var envFakes []fake

// FakeEdenCheckout makes dir look like the root of an EdenFS checkout, as
// Eden shows one to Eden: a .eden directory whose root entry links to dir.
// The test seam for a checkout on a machine without Eden.
func FakeEdenCheckout(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, ".eden"), 0o755); err != nil {
		return err
	}
	return os.Symlink(dir, filepath.Join(dir, ".eden", "root"))
}

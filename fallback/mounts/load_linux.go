package mounts

import (
	"fmt"
	"os"
)

// Load reads this process's mount table, with the fake mounts of
// AUTORELOAD_FAULTS in a binary built with the tag autoreload_faults.
func Load() (*Table, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return &Table{}, fmt.Errorf("mount table: %w", err)
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return &Table{}, err
	}
	for _, fk := range envFakes {
		t.Fake(fk.point, fk.fstype)
	}
	return t, nil
}

//go:build !linux

package mounts

// Load returns an empty table and ErrUnsupported: without a mount table,
// callers treat every directory's type as unknown.
func Load() (*Table, error) { return &Table{}, ErrUnsupported }

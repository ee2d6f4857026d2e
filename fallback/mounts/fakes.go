package mounts

// fake is a mount that a test adds to the table Load returns.
type fake struct{ point, fstype string }

// envFakes are set from AUTORELOAD_FAULTS in a binary built with the tag
// autoreload_faults (faults.go); empty otherwise.
var envFakes []fake

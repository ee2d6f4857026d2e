//go:build !linux

package jobshell

// Main does nothing here: the job-control tests run on Linux only.
func Main() {}

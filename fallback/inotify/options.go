package inotify

// Options configures a Watcher.
type Options struct {
	// Faults injects kernel faults; nil for none (or those of
	// AUTORELOAD_FAULTS in a binary built with the tag autoreload_faults).
	Faults *Faults
}

// Faults are the kernel's answers that a test cannot obtain on demand
// without starving every other process of the user (the limits are per
// user). They stand in for the kernel's own.
type Faults struct {
	// Init, when set, is New's error, as inotify_init1's (syscall.EMFILE).
	Init error
	// Add, when set, is asked before each watch is added; an error it
	// returns is inotify_add_watch's (syscall.ENOSPC).
	Add func(dir string) error
	// Overflow, when set, is asked for each batch read; true replaces the
	// batch by one Overflow event, as if the kernel had dropped it.
	Overflow func(batch []Event) bool
}

// envFaults are the faults a binary built with the tag autoreload_faults
// takes from its environment; nil otherwise.
var envFaults *Faults

func (o Options) faults() Faults {
	switch {
	case o.Faults != nil:
		return *o.Faults
	case envFaults != nil:
		return *envFaults
	}
	return Faults{}
}

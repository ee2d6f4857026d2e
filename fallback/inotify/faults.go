//go:build autoreload_faults

package inotify

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A binary built with the tag autoreload_faults (the end-to-end tests
// build one) takes kernel faults from AUTORELOAD_FAULTS, a comma-separated
// list of:
//
//	inotify-init=emfile       New fails as at fs.inotify.max_user_instances
//	inotify-add=enospc:NAME   watching a directory called NAME fails as at
//	                          fs.inotify.max_user_watches (emfile:NAME too)
//	inotify-overflow=NAME     a batch naming an entry NAME is lost to an
//	                          overflow of the kernel's queue
//
// Other items are for other packages. A binary built without the tag
// ignores the variable.
func init() {
	s := os.Getenv("AUTORELOAD_FAULTS")
	if s == "" {
		return
	}
	var f Faults
	set := false
	for _, item := range strings.Split(s, ",") {
		key, val, _ := strings.Cut(item, "=")
		switch key {
		case "inotify-init":
			f.Init, set = errnoNamed(val), true
		case "inotify-add":
			kind, name, _ := strings.Cut(val, ":")
			errno := errnoNamed(kind)
			f.Add = func(dir string) error {
				if filepath.Base(dir) == name {
					return errno
				}
				return nil
			}
			set = true
		case "inotify-overflow":
			f.Overflow = func(batch []Event) bool {
				for _, e := range batch {
					if e.Name == val {
						return true
					}
				}
				return false
			}
			set = true
		}
	}
	if set {
		envFaults = &f
	}
}

func errnoNamed(s string) error {
	if s == "emfile" {
		return syscall.EMFILE
	}
	return syscall.ENOSPC
}

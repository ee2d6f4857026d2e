//go:build !linux

package poller

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// dirReader lists directories through os.File, the portable way (macOS has
// no getdents).
type dirReader struct{}

func newDirReader() *dirReader { return &dirReader{} }

// list calls fn for every entry of the open directory fd.
func (r *dirReader) list(fd int, fn func(name string, typ entryType)) error {
	// The caller owns fd; a duplicate gives os.File one of its own to close.
	dup, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	entries, err := f.ReadDir(-1)
	for _, e := range entries {
		fn(e.Name(), modeType(e.Type()))
	}
	return err
}

func modeType(m fs.FileMode) entryType {
	switch {
	case m.IsRegular():
		return typeFile
	case m&fs.ModeSymlink != 0:
		return typeSymlink
	case m.IsDir():
		return typeDir
	default:
		return typeOther
	}
}

// statAt is statAt: names from os.File carry no terminating NUL to reuse.
func (r *dirReader) statAt(fd int, name string) (fileInfo, error) { return statAt(fd, name) }

package poller

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirReader lists directories with getdents64 into one reused buffer, so a
// scan of an unchanged tree allocates nothing per entry: names are handed
// to the callback as views of the buffer, valid only during the call.
type dirReader struct {
	buf []byte
}

func newDirReader() *dirReader { return &dirReader{buf: make([]byte, 8<<10)} }

// list calls fn for every entry of the open directory fd but "." and "..".
func (r *dirReader) list(fd int, fn func(name string, typ entryType)) error {
	for {
		n, err := unix.Getdents(fd, r.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for off := 0; off < n; {
			// The fields are read where they lie: a whole unix.Dirent
			// (its Name is 256 bytes) at the last entry would reach past
			// the buffer, which checkptr refuses under -race.
			reclen := int(binary.NativeEndian.Uint16(r.buf[off+direntReclen:]))
			typ := r.buf[off+direntTypeAt]
			raw := r.buf[off+direntName : off+reclen]
			if i := bytes.IndexByte(raw, 0); i >= 0 {
				raw = raw[:i]
			}
			off += reclen
			if len(raw) == 0 || raw[0] == '.' && (len(raw) == 1 || len(raw) == 2 && raw[1] == '.') {
				continue
			}
			fn(unsafe.String(&raw[0], len(raw)), direntType(typ))
		}
	}
}

// Offsets of the fields of a linux_dirent64.
var (
	direntReclen = int(unsafe.Offsetof(unix.Dirent{}.Reclen))
	direntTypeAt = int(unsafe.Offsetof(unix.Dirent{}.Type))
	direntName   = int(unsafe.Offsetof(unix.Dirent{}.Name))
)

func direntType(t uint8) entryType {
	switch t {
	case unix.DT_REG:
		return typeFile
	case unix.DT_LNK:
		return typeSymlink
	case unix.DT_DIR:
		return typeDir
	case unix.DT_UNKNOWN:
		return typeUnknown
	default:
		return typeOther
	}
}

// statAt is statAt for a name listed by r: getdents leaves each name
// NUL-terminated in r's buffer, so the kernel can read it there. This
// saves the copy and the allocation x/sys makes per call (one per file of
// the tree, on every scan). A name that is not such a view is copied.
func (r *dirReader) statAt(fd int, name string) (fileInfo, error) {
	p := unsafe.StringData(name)
	if len(name) == 0 || len(r.buf) == 0 {
		return statAt(fd, name)
	}
	start := uintptr(unsafe.Pointer(&r.buf[0]))
	at := uintptr(unsafe.Pointer(p))
	if at < start || at+uintptr(len(name)) >= start+uintptr(len(r.buf)) || r.buf[at-start+uintptr(len(name))] != 0 {
		return statAt(fd, name)
	}
	var st unix.Stat_t
	for {
		_, _, errno := syscall.Syscall6(unix.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
		switch errno {
		case 0:
			return infoOf(&st), nil
		case unix.EINTR:
			continue
		default:
			return fileInfo{}, errno
		}
	}
}

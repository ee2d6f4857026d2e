package mounts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrUnsupported is returned by Load where there is no mount table to read.
var ErrUnsupported = errors.New("mounts: no mount table on this system")

// Mount is one line of the mount table.
type Mount struct {
	ID, Parent   int
	Major, Minor uint32 // the device, as stat reports it (but on btrfs subvolumes)
	Root         string // the directory of the filesystem mounted here
	Point        string // where it is mounted
	Type         string // "ext4", "fuse.sshfs"
	Source       string // "/dev/vda", "server:/export"
}

// Class returns what events on the mount are worth.
func (m Mount) Class() Class { return Classify(m.Type) }

// Table is the mount table at one moment, visible mounts only.
type Table struct {
	mounts []Mount // in the table's order; later ones mount over earlier ones
}

// Parse reads a table in the format of /proc/self/mountinfo.
func Parse(r io.Reader) (*Table, error) {
	var all []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		m, err := parseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		all = append(all, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	return &Table{mounts: visible(all)}, nil
}

// parseLine reads "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
// /dev/root rw,errors=continue" (proc(5)): optional fields up to "-".
func parseLine(line string) (Mount, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || sep+1 >= len(f) {
		return Mount{}, fmt.Errorf("malformed: %q", line)
	}
	var m Mount
	var err error
	if m.ID, err = strconv.Atoi(f[0]); err != nil {
		return Mount{}, fmt.Errorf("mount id %q: %w", f[0], err)
	}
	if m.Parent, err = strconv.Atoi(f[1]); err != nil {
		return Mount{}, fmt.Errorf("parent id %q: %w", f[1], err)
	}
	maj, min, ok := strings.Cut(f[2], ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Mount{}, fmt.Errorf("device %q: not major:minor", f[2])
	}
	m.Major, m.Minor = uint32(ma), uint32(mi)
	m.Root, m.Point = unescape(f[3]), unescape(f[4])
	m.Type = unescape(f[sep+1])
	if sep+2 < len(f) {
		m.Source = unescape(f[sep+2])
	}
	return m, nil
}

// unescape decodes the kernel's octal escapes (\040 for a space, \011,
// \012, \134 for a backslash) in a mount table field.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// visible drops the mounts no path can reach: one mounted over by a later
// mount on the same point, and any mount whose parent is not visible (it
// sits below a directory that was mounted over). A mount on a point
// already mounted has the mount it covers as its parent: that one is
// hidden by it, not hiding it, so the parent that counts is the first
// ancestor on another point.
func visible(all []Mount) []Mount {
	top := make(map[string]int, len(all)) // point → ID of the last mount there
	byID := make(map[int]*Mount, len(all))
	for i := range all {
		top[all[i].Point] = all[i].ID
		byID[all[i].ID] = &all[i]
	}
	seen := make(map[int]bool, len(all))
	var ok func(m *Mount, depth int) bool
	ok = func(m *Mount, depth int) bool {
		if v, done := seen[m.ID]; done {
			return v
		}
		v := top[m.Point] == m.ID
		p, has := byID[m.Parent]
		for n := 0; has && p.ID != m.ID && p.Point == m.Point && n < len(all); n++ {
			p, has = byID[p.Parent] // covered by m, on m's point
		}
		if v && has && p.ID != m.ID && depth < len(all) {
			v = ok(p, depth+1)
		}
		seen[m.ID] = v
		return v
	}
	var out []Mount
	for i := range all {
		if ok(&all[i], 0) {
			out = append(out, all[i])
		}
	}
	return out
}

// Find returns the mount that holds path: the one whose mount point is the
// longest prefix of it. False when no mount holds it (a relative path).
func (t *Table) Find(path string) (Mount, bool) {
	best := -1
	for i, m := range t.mounts {
		if under(path, m.Point) && (best < 0 || len(m.Point) >= len(t.mounts[best].Point)) {
			best = i
		}
	}
	if best < 0 {
		return Mount{}, false
	}
	return t.mounts[best], true
}

// Below returns the mounts whose point is strictly inside dir: the places
// where a walk of dir crosses onto another filesystem.
func (t *Table) Below(dir string) []Mount {
	var out []Mount
	for _, m := range t.mounts {
		if m.Point != dir && under(m.Point, dir) {
			out = append(out, m)
		}
	}
	return out
}

// Fake mounts a filesystem of type fstype at point, over whatever is
// there, in this table only: the test seam for a type this machine lacks.
func (t *Table) Fake(point, fstype string) {
	id := -1 - len(t.mounts)
	parent, _ := t.Find(point)
	t.mounts = append(t.mounts, Mount{ID: id, Parent: parent.ID, Root: "/", Point: point, Type: fstype, Source: "fake"})
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir) && len(path) > len(dir) && path[len(dir)] == '/'
}

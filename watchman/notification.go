package watchman

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// notice is what one unilateral PDU means to us.
type notice struct {
	sub      string // subscription name; "" for PDUs that are not ours (logs)
	canceled bool
	state    bool // a state-enter or state-leave notice, with no files
	// stateName is the state entered (enter) or left; state notices only.
	stateName string
	enter     bool
	warning   string
	fresh     bool
	files     []fileInfo
}

// fileInfo is one entry of "files", names relative to the subscription's
// relative_root.
type fileInfo struct {
	name   string
	exists bool
	mtime  int64 // ns since the epoch; 0 when unknown
	size   int64
	new    bool // first seen by the daemon after the subscription's last clock
}

// parseNotice decodes a unilateral PDU, strictly: a field of the wrong type
// is an error, because skipping it could lose a change. It never panics.
func parseNotice(pdu response) (notice, error) {
	var n notice
	var err error
	if n.sub, _, err = stringField(pdu, "subscription"); err != nil {
		return n, err
	}
	if n.sub == "" {
		return n, nil
	}
	if n.canceled, err = boolField(pdu, "canceled"); err != nil || n.canceled {
		return n, err
	}
	if n.warning, _, err = stringField(pdu, "warning"); err != nil {
		return n, err
	}
	_, enter := pdu["state-enter"]
	_, leave := pdu["state-leave"]
	raw, hasFiles := pdu["files"]
	if (enter || leave) && !hasFiles {
		n.state, n.enter = true, enter
		key := "state-leave"
		if enter {
			key = "state-enter"
		}
		if n.stateName, _, err = stringField(pdu, key); err != nil {
			return n, err
		}
		return n, nil
	}
	if n.fresh, err = boolField(pdu, "is_fresh_instance"); err != nil {
		return n, err
	}
	if !isList(raw) {
		return n, fmt.Errorf("notification: files is %s, not a list", kindOf(raw))
	}
	if n.fresh {
		// The daemon lists every file; only the fact matters.
		return n, nil
	}
	err = eachFile(raw, func(f map[string]any) error {
		fi, err := parseFile(mapFields(f))
		if err == nil {
			n.files = append(n.files, fi)
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("notification: %w", err)
	}
	return n, nil
}

func parseFile(f fileFields) (fileInfo, error) {
	var fi fileInfo
	name, err := f.name()
	if err != nil {
		return fi, err
	}
	if err := checkName(name); err != nil {
		return fi, err
	}
	fi.name = name
	if fi.exists, err = entryExists(f); err != nil {
		return fi, err
	}
	if fi.new, _, err = f.boolField("new"); err != nil {
		return fi, err
	}
	if fi.mtime, err = f.intField("mtime_ns"); err != nil {
		return fi, err
	}
	if fi.size, err = f.intField("size"); err != nil {
		return fi, err
	}
	return fi, nil
}

// entryExists is an entry's "exists", true when absent.
func entryExists(f fileFields) (bool, error) {
	v, present, err := f.boolField("exists")
	return v || !present, err
}

// change turns a file entry into a Change under dir.
func (fi fileInfo) change(dir string) spec.Change {
	c := spec.Change{Path: filepath.Join(dir, filepath.FromSlash(fi.name)), Exists: fi.exists, Created: fi.new}
	if fi.exists {
		c.Size = fi.size
		if fi.mtime != 0 {
			c.Mtime = time.Unix(0, fi.mtime)
		}
	}
	return c
}

// checkName refuses a name that escapes the root: it would let the daemon
// point us anywhere.
func checkName(name string) error {
	if c := path.Clean(name); path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("file name %q leaves the root", name)
	}
	return nil
}

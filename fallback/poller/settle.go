package poller

import (
	"context"
	"path/filepath"
	"strings"
	"time"
)

// A scan can catch a file in the middle of being written: a save in place
// (truncate, then write), a linker writing a watched binary, a large copy.
// Delivered at once, that is two restarts, the first one on a half-written
// file. Like Watchman's settle, the poller first waits until the files it
// found changed have stopped changing, re-stating only those files.
const (
	settlePeriod = 20 * time.Millisecond // Watchman's default settle
	settleLimit  = 2 * time.Second       // a file written for longer is delivered as it is then
	settleMax    = 1000                  // larger batches are VCS operations: the locks hold them
)

// settle waits settlePeriod at a time until no pending file changed during
// the last period, updating the pending changes and the poller's records
// with what it sees, so the next scan does not report the same write again.
// A file that vanished meanwhile is left to the next scan. On cancellation
// the pending changes stay pending.
func (p *Poller) settle(ctx context.Context) error {
	if len(p.pending) > settleMax {
		return nil
	}
	deadline := time.Now().Add(settleLimit)
	t := time.NewTimer(settlePeriod)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if p.onSettle != nil {
			p.onSettle()
		}
		moved := false
		for i := range p.pending {
			c := &p.pending[i]
			if !c.Exists {
				continue
			}
			fi, err := lstat(c.Path)
			if err != nil || (fi.typ != typeFile && fi.typ != typeSymlink) {
				continue
			}
			f := p.record(c.Path)
			if fi.mtime == c.Mtime.UnixNano() && fi.size == c.Size && (f == nil || fi.ino == f.ino) {
				continue
			}
			moved = true
			*c = changeOf(c.Path, fi)
			if f != nil {
				f.mtime, f.size, f.ino = fi.mtime, fi.size, fi.ino
			}
		}
		if !moved || time.Now().After(deadline) {
			return nil
		}
		t.Reset(settlePeriod)
	}
}

// record finds the poller's memory of the file at path, or nil.
func (p *Poller) record(path string) *fileState {
	for i := range p.fileRoots {
		if p.fileRoots[i].path == path {
			return &p.fileRoots[i].state
		}
	}
	for _, root := range p.roots {
		rel, ok := strings.CutPrefix(path, root.name)
		if !ok || (rel != "" && rel[0] != '/' && !strings.HasSuffix(root.name, "/")) {
			continue
		}
		d := root
		parts := strings.Split(strings.Trim(rel, "/"), "/")
		for _, part := range parts[:len(parts)-1] {
			j := d.findDir(part)
			if j < 0 {
				d = nil
				break
			}
			d = d.dirs[j]
		}
		if d == nil {
			continue
		}
		if j := d.findFile(filepath.Base(path)); j >= 0 {
			return &d.files[j]
		}
	}
	return nil
}

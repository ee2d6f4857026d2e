package ignorefile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadAndDecide: the last matching line wins, '!' un-ignores, a
// trailing '/' is for directories, a '/' inside anchors; a missing file
// has no rules and the zero stamp.
func TestReadAndDecide(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".gitignore")
	if err := os.WriteFile(path, []byte("# comment\n*.log\n!keep.log\nbuild/\ndocs/*.tmp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := Read(path)
	if f.Stamp == (Stamp{}) || len(f.Rules) != 4 || !f.Anchored {
		t.Fatalf("Read = %+v, want a stamp, 4 rules, anchored", f)
	}
	for _, c := range []struct {
		name, rel    string
		isDir        bool
		ignored, dec bool
	}{
		{"a.log", "a.log", false, true, true},
		{"keep.log", "keep.log", false, false, true},
		{"build", "build", true, true, true},
		{"build", "build", false, false, false},
		{"x.tmp", "docs/x.tmp", false, true, true},
		{"x.tmp", "x.tmp", false, false, false},
	} {
		if ignored, dec := f.Decide(c.name, c.rel, c.isDir); ignored != c.ignored || dec != c.dec {
			t.Errorf("Decide(%q, %q, dir %v) = %v, %v; want %v, %v", c.name, c.rel, c.isDir, ignored, dec, c.ignored, c.dec)
		}
	}
	if StampOf(path) != f.Stamp {
		t.Error("the stamp of an unchanged file moved")
	}
	if err := os.WriteFile(path, []byte("*.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if StampOf(path) == f.Stamp {
		t.Error("the stamp of a rewritten file did not move")
	}
	if g := Read(path + ".missing"); g.Stamp != (Stamp{}) || g.Rules != nil {
		t.Errorf("Read of a missing file = %+v, want nothing", g)
	}
}

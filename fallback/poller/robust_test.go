package poller

import (
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// Names, links and a tree that changes under the walk: skipped or handled,
// never a crash, never a false change on the next scan.

func TestPollerBadNames(t *testing.T) {
	dir := t.TempDir()
	names := []string{"with space.go", "new\nline.go", "bad\xff\xfeutf8.go", "{brace}.go", "tab\tx.go", "-dash.go", "é.go", "*star?.go", `back\slash.go`}
	files := map[string]string{}
	for _, n := range names {
		files[n] = "v1"
		files["d ir\n/"+n] = "v1"
	}
	tree(t, dir, files)
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	expectQuiet(t, p, dir, 3)
	want := map[string]bool{}
	for rel := range files {
		testkit.Write(t, filepath.Join(dir, rel), "v22")
		want[rel] = true
	}
	expect(t, dir, scanNow(t, p), want)
	expectQuiet(t, p, dir, 3)
}

func TestPollerSymlinks(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"real/a.go": ""})
	for link, target := range map[string]string{"self": "self", "loop1": "loop2", "loop2": "loop1", "real/up": "..", "dangling": "nowhere", "toreal": "real"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	if n := p.tracked(); n != 7 {
		t.Fatalf("tracked %d, want 7 (a.go and six symlinks, none followed)", n)
	}
	expectQuiet(t, p, dir, 3)
	os.Remove(filepath.Join(dir, "dangling"))
	os.Symlink("somewhere-else", filepath.Join(dir, "dangling"))
	expect(t, dir, scanNow(t, p), map[string]bool{"dangling": true})
}

func TestPollerVanishingFiles(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "", "b.go": "", "sub/c.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	p.workers = 1
	testkit.Write(t, filepath.Join(dir, "fleeting.go"), "")
	testkit.Write(t, filepath.Join(dir, "b.go"), "changed")
	// Between the listing and the lstat, a.go and fleeting.go go away,
	// and so does sub before it is opened.
	p.onStat = func(d, name string) {
		if name == "b.go" {
			os.Remove(filepath.Join(dir, "a.go"))
			os.Remove(filepath.Join(dir, "fleeting.go"))
			os.RemoveAll(filepath.Join(dir, "sub"))
		}
	}
	b := scanNow(t, p)
	p.onStat = nil
	got := changes(dir, b)
	// a.go may have been lstat'ed before b.go; either way it is reported
	// gone now or on the next scan, once.
	next := changes(dir, scanNow(t, p))
	maps.Copy(got, next)
	want := map[string]bool{"a.go": false, "b.go": true, "sub/c.go": false}
	if !maps.Equal(got, want) {
		t.Fatalf("changes over two scans = %v, want %v", got, want)
	}
	expectQuiet(t, p, dir, 3)
}

// An unreadable directory keeps what was known of it: its files are
// neither deleted while it cannot be read nor created again after.
func TestPollerUnreadableDir(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "", "locked/b.go": "", "locked/sub/c.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	locked := filepath.Join(dir, "locked")
	var denied atomic.Bool
	p.onOpen = func(d string) error {
		if d == locked && denied.Load() {
			return unix.EACCES // as root, chmod 0 would not stop us
		}
		return nil
	}
	denied.Store(true)
	expectQuiet(t, p, dir, 2)
	testkit.Write(t, filepath.Join(locked, "b.go"), "changed while unreadable")
	testkit.Write(t, filepath.Join(dir, "a.go"), "changed")
	expect(t, dir, scanNow(t, p), map[string]bool{"a.go": true})
	denied.Store(false)
	expect(t, dir, scanNow(t, p), map[string]bool{"locked/b.go": true})
	expectQuiet(t, p, dir, 2)

	if os.Geteuid() != 0 { // the real thing, where it can be had
		os.Chmod(locked, 0)
		defer os.Chmod(locked, 0o755)
		expectQuiet(t, p, dir, 2)
		os.Chmod(locked, 0o755)
		expectQuiet(t, p, dir, 2)
	}
}

// A listing that shows a name twice (a rename racing the listing) leaves
// one record, so the next scan reports no false deletion.
func TestRebuildDropsRepeatedNames(t *testing.T) {
	d := &dirState{}
	d.rebuild(nil, []newFile{{"b", fileInfo{ino: 1}}, {"a", fileInfo{ino: 2}}, {"b", fileInfo{ino: 1}}})
	if len(d.files) != 2 || d.fileName(&d.files[0]) != "a" || d.fileName(&d.files[1]) != "b" || d.findFile("b") != 1 {
		t.Fatalf("rebuild kept %d files: %+v %q", len(d.files), d.files, d.names)
	}
}

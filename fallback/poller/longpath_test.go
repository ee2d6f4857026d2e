package poller

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// deepDir makes directories below root, created relative to one another
// (mkdir of the whole path would fail), until the path is longer than
// PATH_MAX, and returns it.
func deepDir(t *testing.T, root string) string {
	t.Helper()
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := root
	name := strings.Repeat("d", 250)
	for len(path) <= 4200 {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd, path = next, path+"/"+name
	}
	unix.Close(fd)
	t.Cleanup(func() { removeDeep(root) })
	return path
}

// writeAt writes data to a file called name in the directory at path,
// whatever the length of path.
func writeAt(t *testing.T, path, name, data string) {
	t.Helper()
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	defer unix.Close(fd)
	f, err := unix.Openat(fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(f)
	if _, err := unix.Write(f, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// removeDeep removes a tree too deep for os.RemoveAll's paths, from the
// bottom, relative to each parent.
func removeDeep(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	removeBelow(fd)
	unix.Close(fd)
}

func removeBelow(fd int) {
	var names []string
	r := newDirReader()
	r.list(fd, func(name string, typ entryType) { names = append(names, strings.Clone(name)) })
	for _, name := range names {
		if unix.Unlinkat(fd, name, 0) == nil {
			continue
		}
		if sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
			removeBelow(sub)
			unix.Close(sub)
		}
		unix.Unlinkat(fd, name, unix.AT_REMOVEDIR)
	}
}

// TestPollerSeesPathsLongerThanPathMax: a file whose path is longer than
// PATH_MAX (4096 bytes) is reported when created and when modified, like
// any other; the poller opens such directories relative to a parent.
func TestPollerSeesPathsLongerThanPathMax(t *testing.T) {
	dir := t.TempDir()
	deep := deepDir(t, dir)
	writeAt(t, deep, "a.go", "v1")
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	if n := p.tracked(); n != 1 {
		t.Fatalf("tracked %d files, want 1: %s/a.go, %d bytes", n, deep[:40]+"...", len(deep)+5)
	}
	expectQuiet(t, p, dir, 2)
	writeAt(t, deep, "a.go", "v22")
	writeAt(t, deep, "b.go", "new")
	rel, _ := filepath.Rel(dir, deep)
	expect(t, dir, scanNow(t, p), map[string]bool{rel + "/a.go": true, rel + "/b.go": true})
	expectQuiet(t, p, dir, 2)
}

package mounts

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func fakeCheckout(t *testing.T, dir string) {
	t.Helper()
	if err := FakeEdenCheckout(dir); err != nil {
		t.Fatal(err)
	}
}

func TestEdenByLinkAtTheRootOrAbove(t *testing.T) {
	base := t.TempDir()
	checkout := filepath.Join(base, "repo")
	deep := filepath.Join(checkout, "a", "b")
	plain := filepath.Join(base, "plain")
	notLink := filepath.Join(base, "notlink")
	for _, d := range []string{deep, plain, filepath.Join(notLink, ".eden")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fakeCheckout(t, checkout)
	// A regular file named .eden/root is not Eden's.
	if err := os.WriteFile(filepath.Join(notLink, ".eden", "root"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{checkout: true, deep: true, plain: false, notLink: false, base: false} {
		if got := Eden(nil, dir); got != want {
			t.Errorf("Eden(%s) = %v, want %v", dir, got, want)
		}
	}
}

func TestEdenByMountType(t *testing.T) {
	dir := t.TempDir()
	for _, fstype := range []string{"fuse.edenfs", "edenfs", "macfuse_eden"} {
		tab := mustParse(t, sample)
		point := filepath.Join(dir, "checkout")
		tab.Fake(point, fstype)
		if !Eden(tab, filepath.Join(point, "src")) || !Eden(tab, point) {
			t.Errorf("%s: a directory of the mount is not Eden", fstype)
		}
		if Eden(tab, dir) {
			t.Errorf("%s: the directory holding the mount is Eden", fstype)
		}
		if got := EdenBelow(tab, dir); !slices.Equal(got, []string{point}) {
			t.Errorf("%s: EdenBelow = %q, want %q", fstype, got, point)
		}
	}
	tab := mustParse(t, sample)
	tab.Fake(filepath.Join(dir, "sshfs"), "fuse.sshfs")
	if Eden(tab, filepath.Join(dir, "sshfs")) || len(EdenBelow(tab, dir)) != 0 {
		t.Error("another FUSE filesystem counts as Eden")
	}
}

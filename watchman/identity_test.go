package watchman

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// A directory removed and made again at the same path is another one, even
// when it gets the removed one's inode number (ext4 gives it at once).
func TestIdentityTellsARecreatedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	for i := range 20 {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		before, err := identify(dir)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := identify(dir); again != before {
			t.Fatalf("the same directory read twice: %+v, then %+v", before, again)
		}
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := identify(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("identify of a removed directory: %v, want not-exist", err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		after, err := identify(dir)
		if err != nil {
			t.Fatal(err)
		}
		if after == before {
			if before.birth == 0 && before.gen == 0 {
				t.Skipf("no birth time or generation on this filesystem, and the inode number %d was re-used", before.ino)
			}
			t.Fatalf("cycle %d: the re-created directory passes for the removed one: %+v", i, after)
		}
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
	}
}

// A watched root deleted and re-created at once, before the daemon's cancel
// is read, is still a deleted root: not a watch removed with its root still
// there (an ErrUnavailable, a fallback). Ten times, as the run that found it
// (about once in ten cycles).
func TestRootRecreatedAtOnceIsRootGone(t *testing.T) {
	d := watchmantest.Start(t)
	parent := t.TempDir()
	for i := range 10 {
		root := filepath.Join(parent, "root")
		testkit.Write(t, filepath.Join(root, "a.txt"), "a")
		s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		err, _ := waitErr(t, s)
		if !errors.Is(err, ErrRootGone) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("cycle %d: error %v, want an ErrRootGone and no ErrUnavailable", i, err)
		}
		s.Close()
	}
}

// A root below the watch's own (watch-project resolved to a parent holding
// .watchmanconfig) deleted: the daemon lists what went with it and goes on,
// but the root is gone all the same — after the deletions, an ErrRootGone,
// as when the daemon cancels; and so when it is re-created at once.
func TestNestedRootDeletedIsRootGone(t *testing.T) {
	for _, name := range []string{"deleted", "re-created at once"} {
		recreate := name != "deleted"
		t.Run(name, func(t *testing.T) {
			d := watchmantest.Start(t)
			root := filepath.Join(project(t), "src")
			a := filepath.Join(root, "a.txt")
			testkit.Write(t, a, "a")
			s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
			if recreate {
				testkit.Write(t, filepath.Join(root, "b.txt"), "b")
			}
			changes, _ := collect(t, s, a)
			if c := changes[a]; c.Exists {
				t.Fatalf("%s reported existing, want deleted", a)
			}
			err, _ := waitErr(t, s)
			var gone *RootGoneError
			if !errors.As(err, &gone) || errors.Is(err, ErrUnavailable) || gone.Root != root {
				t.Fatalf("error %v, want an ErrRootGone naming %s", err, root)
			}
		})
	}
}

// A root deleted, or deleted and re-created, while the daemon resolves its
// watch (watch-project held back, as a crawl would) is a root gone, not a
// Watchman refusing the missing root, nor a subscription to the new
// directory that passes for the old one.
func TestRootReplacedWhileSubscribingIsRootGone(t *testing.T) {
	for _, name := range []string{"deleted", "re-created"} {
		recreate := name != "deleted"
		t.Run(name, func(t *testing.T) {
			d := watchmantest.Start(t)
			hold := d.HoldCrawls(t)
			root := filepath.Join(t.TempDir(), "root")
			testkit.Write(t, filepath.Join(root, "a.txt"), "a")
			sp := newSpec(t, spec.Options{Watch: []string{root}})
			type result struct {
				s   *Subscription
				err error
			}
			done := make(chan result, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				s, err := Subscribe(ctx, sp, Options{Sock: hold.Sock, Timeout: 10 * time.Second})
				done <- result{s, err}
			}()
			select {
			case <-hold.Held():
			case r := <-done:
				t.Fatalf("Subscribe returned before watch-project was held: %v", r.err)
			case <-time.After(wait):
				t.Fatalf("no watch-project within %s", wait)
			}
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
			if recreate {
				testkit.Write(t, filepath.Join(root, "b.txt"), "b")
			}
			hold.Release()
			r := <-done
			if r.s != nil {
				r.s.Close()
			}
			var gone *RootGoneError
			if !errors.As(r.err, &gone) || errors.Is(r.err, ErrUnavailable) || gone.Root != root {
				t.Fatalf("Subscribe: %v, want an ErrRootGone naming %s", r.err, root)
			}
		})
	}
}

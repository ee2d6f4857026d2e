package watchman

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

func TestCreateModifyDeleteRename(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	a := filepath.Join(root, "a.txt")
	testkit.Write(t, a, "1")
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})

	b := filepath.Join(root, "sub", "b.txt")
	testkit.Write(t, b, "new")
	seen, _ := collect(t, s, b)
	if c := seen[b]; !c.Exists || c.Size != 3 || c.Mtime.IsZero() {
		t.Fatalf("create: got %+v", c)
	}
	fi, _ := os.Stat(b)
	if !seen[b].Mtime.Equal(fi.ModTime()) {
		t.Errorf("mtime %v, file has %v (nanoseconds lost?)", seen[b].Mtime, fi.ModTime())
	}

	testkit.Write(t, a, "modified")
	seen, _ = collect(t, s, a)
	if c := seen[a]; !c.Exists || c.Size != 8 {
		t.Fatalf("modify: got %+v", c)
	}

	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	seen, _ = collect(t, s, a)
	if seen[a].Exists {
		t.Fatalf("delete: got %+v", seen[a])
	}

	renamed := filepath.Join(root, "c.txt")
	if err := os.Rename(b, renamed); err != nil {
		t.Fatal(err)
	}
	seen, _ = collect(t, s, b, renamed)
	if seen[b].Exists || !seen[renamed].Exists {
		t.Fatalf("rename: got %+v", seen)
	}
}

func TestPatternsHonoured(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	spec := newSpec(t, spec.Options{Watch: []string{root}, Exts: []string{"go"}, Patterns: []string{"Makefile"}})
	s := subscribe(t, d, spec, Options{})

	testkit.Write(t, filepath.Join(root, "notes.txt"), "x")
	if err := os.Mkdir(filepath.Join(root, "dir.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	goFile := filepath.Join(root, "pkg", "main.go")
	makefile := filepath.Join(root, "Makefile")
	testkit.Write(t, goFile, "package main")
	testkit.Write(t, makefile, "all:")
	seen, _ := collect(t, s, goFile, makefile)
	for p := range seen {
		if p != goFile && p != makefile {
			t.Errorf("unselected path delivered: %s", p)
		}
	}
}

func TestNestedRootsShareOneWatch(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	a, b, ac := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "a", "c")
	for _, dir := range []string{a, b, ac} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	single := filepath.Join(root, "top.txt")
	testkit.Write(t, single, "x")
	spec := newSpec(t, spec.Options{Watch: []string{ac, a, b, single}})
	s := subscribe(t, d, spec, Options{})

	if n := len(s.targets); n != 3 {
		t.Errorf("%d subscriptions for roots a, b, a/c and a file, want 3 (a/c is inside a)", n)
	}
	roots := d.MustCommand("watch-list")["roots"].([]any)
	if len(roots) != 1 || roots[0] != root {
		t.Fatalf("watch-list = %v, want one watch %s", roots, root)
	}

	inAC, inB := filepath.Join(ac, "x.txt"), filepath.Join(b, "y.txt")
	other := filepath.Join(root, "other.txt")
	testkit.Write(t, other, "not watched")
	testkit.Write(t, inAC, "x")
	testkit.Write(t, inB, "y")
	testkit.Write(t, single, "changed")
	seen, _ := collect(t, s, inAC, inB, single)
	if _, ok := seen[other]; ok {
		t.Errorf("a file outside every root was delivered: %s", other)
	}
}

func TestRelativeRoot(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	below := filepath.Join(root, "src", "app")
	if err := os.MkdirAll(below, 0o755); err != nil {
		t.Fatal(err)
	}
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{below}}), Options{})
	tg := s.targets[firstKey(s.targets)]
	if tg.watch != root || tg.rel != filepath.Join("src", "app") {
		t.Fatalf("watch %q relative %q, want %q and src/app", tg.watch, tg.rel, root)
	}
	outside := filepath.Join(root, "src", "outside.txt")
	inside := filepath.Join(below, "deep", "inside.txt")
	testkit.Write(t, outside, "x")
	testkit.Write(t, inside, "x")
	seen, _ := collect(t, s, inside)
	if _, ok := seen[outside]; ok {
		t.Errorf("a file outside the relative root was delivered")
	}
}

func firstKey[V any](m map[string]V) string {
	for k := range m {
		return k
	}
	return ""
}

func TestDeferStateHoldsBackUntilLeave(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})

	vcs := d.Dial()
	if _, err := vcs.Command("state-enter", root, "hg.update"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 1000 {
		p := filepath.Join(root, "d"+string(rune('a'+i%10)), "f"+time.Duration(i).String()+".txt")
		testkit.Write(t, p, "x")
		want = append(want, p)
	}
	quiet(t, s, 500*time.Millisecond)
	if _, err := vcs.Command("state-leave", root, "hg.update"); err != nil {
		t.Fatal(err)
	}
	seen, batches := collect(t, s, want...)
	if batches != 1 {
		t.Errorf("1,000 writes under hg.update came in %d batches after the leave, want 1", batches)
	}
	if len(seen) != 1000 {
		t.Errorf("%d paths, want 1000", len(seen))
	}
}

func TestFreshInstanceIsOneUnknownBatch(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	testkit.Write(t, filepath.Join(root, "a.txt"), "x")
	d.MustCommand("watch-project", root)
	old := d.MustCommand("clock", root)["clock"].(string)
	d.Restart()

	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{clock: old})
	b := next(t, s)
	if !b.Unknown || len(b.Changes) != 0 {
		t.Fatalf("first batch = %+v, want only unknown changes", b)
	}
	after := filepath.Join(root, "after.txt")
	testkit.Write(t, after, "x")
	collect(t, s, after) // fails on a second unknown batch
}

func TestRecrawlWarningLoggedOnce(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	var logs testkit.Buffer
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}),
		Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 3 {
		d.MustCommand("debug-recrawl", root)
		p := filepath.Join(root, "f"+string(rune('0'+i)))
		testkit.Write(t, p, "x")
		collect(t, s, p)
	}
	if n := strings.Count(logs.String(), "Recrawled this watch"); n != 1 {
		t.Fatalf("recrawl warning logged %d times, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "remedy=") {
		t.Errorf("warning without a remedy: %s", logs.String())
	}
}

func TestDaemonFailuresAreUnavailable(t *testing.T) {
	const timeout, interval = 500 * time.Millisecond, 500 * time.Millisecond
	cases := map[string]func(*watchmantest.Daemon){
		"shutdown-server": (*watchmantest.Daemon).Shutdown,
		"SIGKILL":         (*watchmantest.Daemon).Kill,
		"SIGSTOP":         (*watchmantest.Daemon).Freeze,
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			d := watchmantest.Start(t)
			root := project(t)
			s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}),
				Options{Timeout: timeout, HealthInterval: interval})
			healthy := s.LastHealthy()
			breakIt(d)
			err, took := waitErr(t, s)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("error %v is not ErrUnavailable", err)
			}
			t.Logf("%s: %v after %v", name, err, took)
			// Slack for a loaded machine; the bound itself is timeout+interval.
			if limit := timeout + interval + time.Second; took > limit {
				t.Errorf("took %v, want under %v", took, limit)
			}
			if s.LastHealthy().Before(healthy) {
				t.Errorf("LastHealthy went back")
			}
			start := time.Now()
			s.Close()
			if took := time.Since(start); took > 2*timeout {
				t.Errorf("Close after failure took %v", took)
			}
		})
	}
}

func TestHealthCheckKeepsIdleSubscriptionAlive(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}),
		Options{Timeout: time.Second, HealthInterval: 50 * time.Millisecond})
	before := s.LastHealthy()
	quiet(t, s, 400*time.Millisecond)
	if !s.LastHealthy().After(before) {
		t.Errorf("LastHealthy did not advance over several health checks")
	}
	p := filepath.Join(root, "x")
	testkit.Write(t, p, "x")
	collect(t, s, p)
}

func TestCloseUnsubscribes(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
	s.Close() // idempotent
}

// Every catch-up runs before the first subscription (its reply is decoded
// from the socket, where no notification may come first), and each
// subscription starts from its own target's catch-up clock: a change made
// before Subscribe in either of two roots comes once, from the catch-up,
// and one made after it once, from the subscription.
func TestSinceCatchesUpEveryTargetOnce(t *testing.T) {
	d := watchmantest.Start(t)
	a, b := project(t), project(t)
	sp := newSpec(t, spec.Options{Watch: []string{a, b}})
	since := sp.StartBaseline()
	early := []string{filepath.Join(a, "early.txt"), filepath.Join(b, "early.txt")}
	for _, p := range early {
		testkit.Write(t, p, "while the crawl ran")
	}
	s := subscribe(t, d, sp, Options{Since: since})
	collect(t, s, early...)
	later := []string{filepath.Join(a, "later.txt"), filepath.Join(b, "later.txt")}
	for _, p := range later {
		testkit.Write(t, p, "after the start")
	}
	seen, _ := collect(t, s, later...)
	for _, p := range early {
		if _, ok := seen[p]; ok {
			t.Errorf("%s came again after the catch-up", p)
		}
	}
}

// A change made after the caller's start (Options.Since) but before the
// subscription's clock — during the first crawl — is delivered first.
func TestSinceCoversTheFirstCrawl(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	old := filepath.Join(root, "old.txt")
	testkit.Write(t, old, "before the start")
	past := time.Now().Add(-time.Hour)
	for _, p := range []string{old, filepath.Join(root, ".watchmanconfig")} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	// The file clock's baseline, as the command takes it: time.Now runs
	// ahead of the coarse stamps, so a file written right after it could
	// be stamped earlier, and the Chtimes above (a ctime) later.
	sp := newSpec(t, spec.Options{Watch: []string{root}})
	since := sp.StartBaseline()
	during := filepath.Join(root, "during.txt")
	testkit.Write(t, during, "while the crawl ran")
	s := subscribe(t, d, sp, Options{Since: since})
	b := next(t, s)
	if got := pathsOf(b); len(got) != 1 || got[0] != during {
		t.Fatalf("first batch %v, want only %s", got, during)
	}
	after := filepath.Join(root, "after.txt")
	testkit.Write(t, after, "x")
	collect(t, s, after)
}

// Watchman 4.9 cannot send a file name that is not valid UTF-8 in JSON: the
// notification never comes and the connection answers nothing after it.
// Only the health request on that connection notices. (The client speaks
// JSON only to a daemon without bser-v2; this one is made to.)
func TestSilentConnectionAfterNonUTF8NameInJSON(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	const timeout, interval = 500 * time.Millisecond, 300 * time.Millisecond
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{Timeout: timeout, HealthInterval: interval, json: true})
	testkit.Write(t, filepath.Join(root, "bad-\xff\xfe.txt"), "x")
	err, took := waitErr(t, s)
	t.Logf("%v after %v", err, took)
	if r := reasonOf(t, err); r != ReasonTimeout {
		t.Fatalf("reason %v, want %v", r, ReasonTimeout)
	}
	d.MustCommand("get-pid") // the daemon itself still answers
}

// Over BSER (what the client speaks to 4.9) a name that is not UTF-8 comes
// as its exact bytes, as fast as any other, and the connection stays
// healthy: three times over, each time beside an ordinary file.
func TestNonUTF8NameOverBSER(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}),
		Options{Timeout: time.Second, HealthInterval: 200 * time.Millisecond})
	if s.c.enc != encBSER {
		t.Fatalf("the subscription speaks %v to 4.9, want bser-v2", s.c.enc)
	}
	bad := filepath.Join(root, "bad-\xff\xfe.txt")
	for i := range 3 {
		ok := filepath.Join(root, fmt.Sprintf("ok%d.txt", i))
		testkit.Write(t, bad, strings.Repeat("x", i+1))
		testkit.Write(t, ok, "x")
		collect(t, s, bad, ok)
	}
	if err := s.failure(); err != nil {
		t.Fatalf("subscription failed: %v", err)
	}
}

// A watched directory named with bytes that are not UTF-8, below the watch
// (relative_root), is subscribed to by its exact name.
func TestNonUTF8DirectoryOverBSER(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	dir := filepath.Join(root, "sub-\xe9t\xe9")
	testkit.Write(t, filepath.Join(dir, "old.go"), "x")
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{dir}}), Options{})
	p := filepath.Join(dir, "new-\xff.go")
	testkit.Write(t, p, "x")
	collect(t, s, p)
}

// Watchman 4.9 dies on a failing command that names a path that is not
// UTF-8. A request naming such a path that is gone (a root deleted while
// subscribed: its unsubscribe, a re-subscribe) is refused before it is
// sent, and the daemon lives on.
func TestGoneNonUTF8PathSparesTheDaemon(t *testing.T) {
	d := watchmantest.Start(t)
	gone := filepath.Join(project(t), "gone-\xff")
	c, err := connect(t.Context(), d.Sock, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.enc != encBSER {
		t.Fatalf("speaking %v to 4.9, want bser-v2", c.enc)
	}
	for _, req := range []request{
		watchProjectRequest(gone),
		unsubscribeRequest(gone, "x"),
		&queryRequest{watch: filepath.Dir(gone), query: map[string]any{"relative_root": filepath.Base(gone)}},
	} {
		_, err := c.request(t.Context(), "test", req, time.Second)
		if r := reasonOf(t, err); r != ReasonRefused {
			t.Fatalf("%v: reason %v (%v), want %v", req.Args(), r, err, ReasonRefused)
		}
		oneLineError(t, err)
	}
	if _, err := d.Command("get-pid"); err != nil {
		t.Fatalf("the daemon is gone: %v", err)
	}
}

// A deleted root is not a failure of the service: the cancel that follows
// is an ErrRootGone naming it, not an ErrUnavailable.
func TestRootDeletedIsRootGoneNotUnavailable(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	err, took := waitErr(t, s)
	t.Logf("%v after %v", err, took)
	var gone *RootGoneError
	if !errors.As(err, &gone) || !errors.Is(err, ErrRootGone) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want an ErrRootGone and no ErrUnavailable", err)
	}
	if gone.Root != root {
		t.Fatalf("root gone %s, want %s", gone.Root, root)
	}
	oneLineError(t, err)
}

// The watch removed under us (watch-del) with the root still there: Watchman
// cannot serve us until we watch again.
func TestWatchDelIsCanceled(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	d.MustCommand("watch-del", root)
	if r := reasonOf(t, func() error { err, _ := waitErr(t, s); return err }()); r != ReasonCanceled {
		t.Fatalf("reason %v, want %v", r, ReasonCanceled)
	}
}

// A file deleted after Since but before the subscription is in place is a
// change like any other: on a tree the daemon already watches, the
// catch-up query must report it, since the subscription starts after it.
func TestSinceCoversADeletionBeforeTheSubscription(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	gone := filepath.Join(root, "gone.txt")
	testkit.Write(t, gone, "deleted at start-up")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(gone, past, past); err != nil {
		t.Fatal(err)
	}
	sp := newSpec(t, spec.Options{Watch: []string{root}})
	subscribe(t, d, sp, Options{}).Close() // the daemon knows the file
	since := spec.FileTime()
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	s := subscribe(t, d, sp, Options{Since: since})
	seen, _ := collect(t, s, gone)
	if seen[gone].Exists {
		t.Fatalf("%s reported as existing", gone)
	}
}

// A file deleted before Since, even in the same second, is no change: the
// deletion's second is all the daemon tells, and the directory that lost
// it had lost nothing since Since: a subdirectory, the root (where the
// daemon's sync cookies come and go, with no .git), a directory deleted
// with it (rm -rf bin), in a watch of the spec's root or of a directory
// above it. A file deleted after Since elsewhere still counts.
func TestSinceSkipsADeletionBeforeIt(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	sub := filepath.Join(root, "sub")
	var gone []string
	for _, dir := range []string{root, sub} {
		gone = append(gone,
			filepath.Join(dir, "gone.txt"),
			filepath.Join(dir, "dir", "gone.txt"),
			filepath.Join(dir, "bin", "server"),
			filepath.Join(dir, "bin", "deep", "server"))
		testkit.Write(t, filepath.Join(dir, "other", "after.txt"), "deleted after the start")
	}
	for _, p := range gone {
		testkit.Write(t, p, "deleted before the start")
	}
	for _, watch := range []string{root, sub} {
		sp := newSpec(t, spec.Options{Watch: []string{watch}})
		subscribe(t, d, sp, Options{}).Close() // the daemon knows the files
	}
	for _, p := range gone {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{root, sub} {
		if err := os.RemoveAll(filepath.Join(dir, "bin")); err != nil {
			t.Fatal(err)
		}
	}
	for _, watch := range []string{root, sub} {
		sp := newSpec(t, spec.Options{Watch: []string{watch}})
		since := sp.StartBaseline()
		after := filepath.Join(watch, "other", "after.txt")
		if err := os.Remove(after); err != nil {
			t.Fatal(err)
		}
		s := subscribe(t, d, sp, Options{Since: since})
		seen, _ := collect(t, s, after)
		for _, p := range gone {
			if _, ok := seen[p]; ok {
				t.Errorf("watching %s: %s deleted before Since was reported", watch, p)
			}
		}
		s.Close()
	}
}

// A save's temporary file, created and renamed over the real file within
// the daemon's settle (sed -i's sedXXXXXX), is no change: the batch names
// the real file only. A file that existed before, deleted, still counts.
func TestTransientFileIsNoChange(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	real, old := filepath.Join(root, "main.go"), filepath.Join(root, "old.go")
	testkit.Write(t, real, "1")
	testkit.Write(t, old, "1")
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	for i := range 3 {
		tmp := filepath.Join(root, fmt.Sprintf("sedAb12C%d", i))
		testkit.Write(t, tmp, fmt.Sprint(i+2))
		if err := os.Rename(tmp, real); err != nil {
			t.Fatal(err)
		}
		want := []string{real}
		if i == 0 {
			if err := os.Remove(old); err != nil {
				t.Fatal(err)
			}
			want = append(want, old)
		}
		seen, _ := collect(t, s, want...)
		if _, ok := seen[tmp]; ok {
			t.Fatalf("save %d: the temporary file %s was reported: %v", i, tmp, seen)
		}
		if seen[old].Exists || seen[old].Created {
			t.Fatalf("save %d: %s reported as %+v", i, old, seen[old])
		}
	}
}

// A save's temporary file that lives longer than the daemon's settle (sed
// -i on a loaded machine) comes alone in a notification of its own; the
// batch, only new files, waits for the next one, with the rename, and the
// temporary file, created and gone within it, is left out.
func TestSlowTransientFileIsNoChange(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	real := filepath.Join(root, "main.go")
	testkit.Write(t, real, "1")
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	for i := range 3 {
		tmp := filepath.Join(root, fmt.Sprintf("sedAb12C%d", i))
		testkit.Write(t, tmp, fmt.Sprint(i+2))
		time.Sleep(50 * time.Millisecond) // the temporary file's life: longer than the 20 ms settle
		if err := os.Rename(tmp, real); err != nil {
			t.Fatal(err)
		}
		seen, _ := collect(t, s, real)
		if c, ok := seen[tmp]; ok {
			t.Fatalf("save %d: the temporary file %s was reported: %+v (all: %v)", i, tmp, c, seen)
		}
	}
}

// A batch of new files only that nothing follows goes out once the hold
// is over; one with an edit in it does not wait for the hold.
func TestNewFilesOnlyHeldBriefly(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	fresh, edited := filepath.Join(root, "new.go"), filepath.Join(root, "old.go")
	s.push(spec.Batch{Changes: []spec.Change{{Path: fresh, Exists: true, Created: true}}})
	if got := pathsOf(next(t, s)); len(got) != 1 || got[0] != fresh {
		t.Fatalf("batch %v, want only %s", got, fresh)
	}
	s.push(spec.Batch{Changes: []spec.Change{{Path: fresh, Exists: true, Created: true}, {Path: edited, Exists: true}}})
	ctx, cancel := context.WithTimeout(context.Background(), spec.NewOnlyHold/2)
	defer cancel()
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("a batch with an edit in it was held: %v", err)
	}
	if got := pathsOf(b); len(got) != 2 {
		t.Fatalf("batch %v, want %s and %s", got, fresh, edited)
	}
}

// A file created in one notification and deleted in the next, both read
// before Next, is no change either: the merged change keeps that the file
// was created within the batch.
func TestTransientAcrossNotificationsIsNoChange(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}), Options{})
	tmp, real := filepath.Join(root, ".app.txt.tmp"), filepath.Join(root, "app.txt")
	s.push(spec.Batch{Changes: []spec.Change{{Path: tmp, Exists: true, Created: true}}})
	s.push(spec.Batch{Changes: []spec.Change{{Path: tmp}, {Path: real, Exists: true}}})
	b := next(t, s)
	if got := pathsOf(b); len(got) != 1 || got[0] != real {
		t.Fatalf("batch %v, want only %s", got, real)
	}
}

// A panic in the subscription's reading goroutine (a bug) ends the
// subscription with a *PanicError that Next returns, not the process: the
// program then stops COMMAND and restores the terminal as on any error.
func TestNoticePanicIsNextsError(t *testing.T) {
	d := watchmantest.Start(t)
	root := project(t)
	s := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{root}}),
		Options{beforeNotice: func() { panic("injected") }})
	testkit.Write(t, filepath.Join(root, "a.txt"), "1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, err := s.Next(ctx)
		var pe *PanicError
		if errors.As(err, &pe) {
			if pe.Value != "injected" || !strings.Contains(string(pe.Stack), "beforeNotice") && !strings.Contains(string(pe.Stack), "handle") {
				t.Fatalf("panic error %v with stack:\n%s", pe.Value, pe.Stack)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Fatal("a panic reads as Watchman unavailable: the caller would fall back and meet it again")
			}
			return
		}
		if err != nil {
			t.Fatalf("Next: %v, want the injected panic", err)
		}
	}
}

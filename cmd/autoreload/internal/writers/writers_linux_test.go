package writers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// waitLimit bounds every wait on a process: never reached when things work.
const waitLimit = 10 * time.Second

// run starts sh -c script in dir and ends it with the test.
func run(t *testing.T, dir, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// eventually polls cond until it holds, failing with what after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// TestTreeFindsDescendants: a shell's children and grandchildren are its
// tree; a process outside it is not.
func TestTreeFindsDescendants(t *testing.T) {
	dir := t.TempDir()
	cmd := run(t, dir, `sh -c 'sleep 100 & wait' & sleep 100 & wait`)
	eventually(t, "sh's tree has its two children and a grandchild", func() bool {
		return len(Tree(cmd.Process.Pid)) == 4
	})
	if slices.Contains(Tree(cmd.Process.Pid), os.Getpid()) {
		t.Error("the test process is in its child's tree")
	}
	if got := Tree(0); got != nil {
		t.Errorf("Tree(0) = %v, want none", got)
	}
}

// TestOpenForWriting: files opened for writing or appending are found,
// wherever they are in the tree; a file open only for reading, a pipe
// and /dev/null are not.
func TestOpenForWriting(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"read", "append", "write"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := run(t, dir, `exec 3<read 4>>append 5>/dev/null; sh -c 'exec 6<>write; exec sleep 100' | sleep 100`)
	want := []string{filepath.Join(dir, "append"), filepath.Join(dir, "write")}
	var got []string
	eventually(t, "append and write open for writing", func() bool {
		got = paths(OpenForWriting(Tree(cmd.Process.Pid)))
		slices.Sort(got)
		got = slices.Compact(got)
		return slices.Equal(got, want)
	})
}

// TestOpenForWritingManyAndLong: a process holding hundreds of files
// open for writing (more directory entries than one read of /proc/PID/fd
// returns), under a path longer than a first guess of a link's length,
// has every one of them found, with its identity.
func TestOpenForWritingManyAndLong(t *testing.T) {
	long := strings.Repeat("long-directory-name-", 10)
	dir := filepath.Join(t.TempDir(), long, long)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range 300 {
		path := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want[path] = true
	}
	got := 0
	for _, f := range OpenForWriting([]int{os.Getpid()}) {
		if !want[f.Path] {
			continue
		}
		got++
		dev, ino, ok := identity(f.Path)
		if !ok || dev != f.Dev || ino != f.Ino {
			t.Errorf("%s: identity %d/%d, stat says %d/%d", f.Path, f.Dev, f.Ino, dev, ino)
		}
	}
	if got != len(want) {
		t.Errorf("%d of the %d files open for writing found", got, len(want))
	}
}

// TestOpenForWritingWithoutStatx: on a kernel without statx (before
// Linux 4.11), lstat and stat find the same files, with the same
// identities.
func TestOpenForWritingWithoutStatx(t *testing.T) {
	dir := t.TempDir()
	cmd := run(t, dir, `exec 3>>log 4<log; exec sleep 100`)
	var want []File
	eventually(t, "the log open for writing", func() bool {
		want = OpenForWriting([]int{cmd.Process.Pid})
		return len(want) == 1
	})
	statxMissing.Store(true)
	defer statxMissing.Store(false)
	if got := OpenForWriting([]int{cmd.Process.Pid}); !slices.Equal(got, want) {
		t.Errorf("without statx: %v, with it: %v", got, want)
	}
}

// TestSampleAllocatesNothing: a sample, taken every 20 ms for seconds
// after each start, reuses its buffers: autoreload's heap stays under the
// collector's minimum, so every byte it ever allocates stays resident
// (it allocated 1.4 KiB a sample, 350 KiB a start).
func TestSampleAllocatesNothing(t *testing.T) {
	cmd := run(t, t.TempDir(), "exec 3>>log; sleep 100 & sleep 100 & wait")
	r := Record(cmd.Process.Pid, time.Now(), time.Now())
	r.Stop() // no sampling of its own meanwhile
	eventually(t, "the tree holds its log open", func() bool {
		r.Sample()
		return len(r.paths) == 1 && len(Tree(cmd.Process.Pid)) == 3
	})
	if n := testing.AllocsPerRun(20, r.Sample); n != 0 {
		t.Errorf("a sample allocates %v times", n)
	}
}

// TestRecorderTellsTheTreesWritesFromOthers: a file the tree held open
// for writing a while after its start is its write, even once closed; a
// file written from outside the tree as late is not; within Burst of the
// start every write counts; a file modified before the start never does.
func TestRecorderTellsTheTreesWritesFromOthers(t *testing.T) {
	dir := t.TempDir()
	own, other, early := filepath.Join(dir, "db.sqlite3"), filepath.Join(dir, "main.go"), filepath.Join(dir, "old")
	if err := os.WriteFile(early, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	oldTime := time.Now().Add(-time.Minute)
	if err := os.Chtimes(early, oldTime, oldTime); err != nil {
		t.Fatal(err)
	}
	begun := time.Now()
	// Start-up work, then a migration that holds its database open for
	// 200 ms, then the server.
	cmd := run(t, dir, `sleep 0.5; exec 3>>db.sqlite3; echo migrated >&3; sleep 0.2; exec 3>&-; touch done; exec sleep 100`)
	r := Record(cmd.Process.Pid, begun, time.Now())
	defer r.Stop()
	eventually(t, "the migration is done", func() bool {
		_, err := os.Stat(filepath.Join(dir, "done"))
		return err == nil
	})
	if err := os.WriteFile(other, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Sample() // as when the change arrives
	mtime := func(path string) time.Time {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	if !r.Wrote(own, mtime(own)) {
		t.Errorf("the database the tree held open for writing, %v after its start, is not its write", mtime(own).Sub(begun))
	}
	if r.Wrote(other, mtime(other)) {
		t.Error("a file written from outside the tree a second after its start is taken for its write")
	}
	if !r.Wrote(other, begun.Add(Burst/2)) {
		t.Error("a file modified within Burst of the start is not taken for the run's write")
	}
	if r.Wrote(early, mtime(early)) || r.Wrote(own, time.Time{}) {
		t.Error("a file modified before the start, or with no time, is taken for the run's write")
	}
}

// TestSaveJustBeforeTheStartIsNotTheRuns: a person's save just before
// COMMAND's go-ahead, reported only after the start (Watchman settles for
// 20 ms), is not the run's write, however close to the start; the same
// file written by COMMAND within Burst is. A window stretched back from
// the start (a clock slop, a report latency) took such a save for the
// run's, and a person saving every 0.3 s for a restart loop.
func TestSaveJustBeforeTheStartIsNotTheRuns(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	saved := fi.ModTime()
	// The save and the go-ahead in the same tick of the kernel's file
	// clock cannot be told apart: the go-ahead comes a tick later.
	eventually(t, "the file clock passes the save", func() bool { return Floor().After(saved) })
	begun := Floor()
	if d := begun.Sub(saved); d >= 20*time.Millisecond {
		t.Skipf("the save is %v before the start: not just before (a loaded machine)", d)
	}
	cmd := run(t, dir, `echo '// by COMMAND' >> main.go; touch done; exec sleep 100`)
	r := Record(cmd.Process.Pid, begun, time.Now())
	defer r.Stop()
	if r.Wrote(src, saved) {
		t.Errorf("a save %v before the start is taken for the run's write", begun.Sub(saved))
	}
	eventually(t, "COMMAND wrote main.go", func() bool {
		_, err := os.Stat(filepath.Join(dir, "done"))
		return err == nil
	})
	if fi, err = os.Stat(src); err != nil {
		t.Fatal(err)
	}
	if !r.Wrote(src, fi.ModTime()) {
		t.Errorf("COMMAND's write at its start (%v after begun) is not taken for its write", fi.ModTime().Sub(begun))
	}
}

// TestRecorderStops: Stop ends the sampling, on a nil Recorder too, and
// may be called twice.
func TestRecorderStops(t *testing.T) {
	r := Record(os.Getpid(), time.Now(), time.Now())
	r.Stop()
	r.Stop()
	var none *Recorder
	none.Stop()
	none.Sample()
	if none.Wrote("x", time.Now()) {
		t.Error("a nil Recorder says a file was written")
	}
}

// TestRecorderFollowsARename: a file the tree wrote under a temporary
// name and renamed over the watched one (an atomic save by COMMAND) is
// its write under the new name: the record keeps the file's identity.
func TestRecorderFollowsARename(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "cache.json")
	begun := time.Now()
	cmd := run(t, dir, `sleep 0.3; exec 3>cache.json.tmp; echo '{}' >&3; sleep 0.2; mv cache.json.tmp cache.json; exec 3>&-; touch done; exec sleep 100`)
	r := Record(cmd.Process.Pid, begun, time.Now())
	defer r.Stop()
	eventually(t, "the cache is written", func() bool {
		_, err := os.Stat(filepath.Join(dir, "done"))
		return err == nil
	})
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Wrote(target, fi.ModTime()) {
		t.Errorf("%s, written by the tree as cache.json.tmp and renamed, is not its write", target)
	}
}

// BenchmarkSample is the cost of one sample of a small tree (a shell and
// two children), taken every 20 ms during a run's first seconds.
func BenchmarkSample(b *testing.B) {
	cmd := exec.Command("sh", "-c", "exec 3>>"+filepath.Join(b.TempDir(), "log")+"; sleep 100 & sleep 100 & wait")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	r := &Recorder{root: cmd.Process.Pid, paths: map[string]bool{}, ids: map[[2]uint64]bool{}}
	for b.Loop() {
		r.Sample()
	}
}

package poller

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// benchTree makes files in dirs directories (ten top directories, the
// rest below them), named like a Python project's, with a few ignored
// directories the poller must prune. With AUTORELOAD_BENCH_DIR set, the
// tree is made there once and reused by later runs, so that rounds of an
// A/B comparison spend their time scanning rather than writing 100,000
// files.
func benchTree(b *testing.B, files, dirs int) string {
	b.Helper()
	var root, done string
	if cache := os.Getenv("AUTORELOAD_BENCH_DIR"); cache != "" {
		root = filepath.Join(cache, fmt.Sprintf("tree-%d-%d", files, dirs))
		done = root + ".complete" // beside the tree: inside, it would be watched
		if _, err := os.Stat(done); err == nil {
			return root
		}
		if err := os.RemoveAll(root); err != nil {
			b.Fatal(err)
		}
	} else {
		root = b.TempDir()
	}
	perDir := files / dirs
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("pkg%02d", d%10), fmt.Sprintf("module_%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range perDir {
			name := fmt.Sprintf("file_%04d.py", f)
			if f%10 == 9 {
				name = fmt.Sprintf("template_%04d.html", f)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte("x = 1\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, ignored := range []string{".git/objects/ab/cdef", "node_modules/lib/index.js", "pkg00/__pycache__/m.pyc"} {
		testkit.Write(b, filepath.Join(root, ignored), "")
	}
	if done != "" {
		testkit.Write(b, done, "")
	}
	return root
}

// BenchmarkScan measures a warm scan of an unchanged tree, the poller's
// heap per tracked file, and, side by side on the same tree, one tick of
// Django's StatReloader (python3-django) watching every file of it.
func BenchmarkScan(b *testing.B) {
	for _, size := range []struct{ files, dirs int }{{10_000, 100}, {100_000, 1_000}} {
		name := fmt.Sprintf("%dk", size.files/1000)
		root := benchTree(b, size.files, size.dirs)
		b.Run(name+"/poller", func(b *testing.B) { benchPoller(b, root, nil, size.files) })
		// Only *.py: the walk matches the other tenth of the names on every
		// scan, as a project watched with --ext py does its templates.
		b.Run(name+"/poller-py", func(b *testing.B) { benchPoller(b, root, []string{"*.py"}, size.files*9/10) })
		b.Run(name+"/django", func(b *testing.B) { benchDjango(b, root) })
	}
}

func benchPoller(b *testing.B, root string, patterns []string, files int) {
	spec, err := spec.New(spec.Options{Watch: []string{root}, Patterns: patterns, Ignores: []string{"node_modules"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := New(spec, Options{})
	defer p.Close()
	for range 2 { // the second scan records the listing order, part of the heap
		if _, err := p.Scan(ctx); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	tracked := p.tracked()
	if tracked != files {
		b.Fatalf("tracked %d files, want %d", tracked, files)
	}

	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		batch, err := p.Scan(ctx)
		if err != nil || !batch.Empty() {
			b.Fatalf("scan of an unchanged tree: %v, %v", batch.Changes, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/scan")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(tracked), "heap-B/file")
	runtime.KeepAlive(p)
}

// djangoTick times StatReloader.snapshot_files, the whole of one tick's
// file-system work, on a reloader that watches every file below the root.
const djangoTick = `
import resource, sys, time, pathlib
from django.utils import autoreload
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = autoreload.StatReloader()
r.watch_dir(pathlib.Path(sys.argv[1]), '**/*')
n = int(sys.argv[2])
tick = lambda: sum(1 for _ in r.snapshot_files())
files = tick()
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    tick()
t1, c1 = time.perf_counter(), time.process_time()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(files, (t1 - t0) / n, (c1 - c0) / n, rss, rss0)
`

func benchDjango(b *testing.B, root string) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import django.utils.autoreload").Run(); err != nil {
		b.Skipf("Django's StatReloader is not importable by %s (apt-get install python3-django): %v", python, err)
	}
	ticks := 5
	out, err := exec.Command(python, "-c", djangoTick, root, strconv.Itoa(ticks)).Output()
	if err != nil {
		b.Fatalf("django: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 5 {
		b.Fatalf("django printed %q", out)
	}
	wall, _ := strconv.ParseFloat(f[1], 64)
	cpu, _ := strconv.ParseFloat(f[2], 64)
	rss, _ := strconv.ParseFloat(f[3], 64)
	rss0, _ := strconv.ParseFloat(f[4], 64)
	files, _ := strconv.ParseFloat(f[0], 64)
	// The figures come from Python's own clock; the loop only satisfies
	// the benchmark framework.
	for b.Loop() {
	}
	b.ReportMetric(wall*1e3, "wall-ms/tick")
	b.ReportMetric(cpu*1e3, "cpu-ms/tick")
	b.ReportMetric((rss-rss0)*1024/files, "rss-B/file")
	b.ReportMetric(files, "files")
}

package poller

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// BenchmarkScanIgnoredNodeModules scans, side by side, a repository of
// 1,000 source files whose .gitignore ignores a 50,000-file node_modules,
// and the same tree with ignore files off: the first must cost what the
// sources cost, never a look inside node_modules. stats/scan counts the
// walk's lstats.
func BenchmarkScanIgnoredNodeModules(b *testing.B) {
	root := b.TempDir()
	if out, err := exec.Command("git", "init", "-q", root).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v: %s", err, out)
	}
	testkit.Write(b, filepath.Join(root, ".gitignore"), "node_modules/\n")
	makeFiles(b, filepath.Join(root, "src"), 1_000, 50)
	makeFiles(b, filepath.Join(root, "node_modules"), 50_000, 1_000)
	for _, c := range []struct {
		name  string
		opts  spec.Options
		files int
	}{
		{"gitignored", spec.Options{Watch: []string{root}}, 1_001},
		{"not-ignored", spec.Options{Watch: []string{root}, NoIgnoreFiles: true}, 51_001},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec, err := spec.New(c.opts)
			if err != nil {
				b.Fatal(err)
			}
			p := New(spec, Options{})
			defer p.Close()
			ctx := context.Background()
			if _, err := p.Scan(ctx); err != nil {
				b.Fatal(err)
			}
			if n := p.tracked(); n != c.files {
				b.Fatalf("tracked %d files, want %d", n, c.files)
			}
			var stats atomic.Int64
			p.onStat = func(string, string) { stats.Add(1) }
			cpu0 := cpuTime()
			for b.Loop() {
				if batch, err := p.Scan(ctx); err != nil || !batch.Empty() {
					b.Fatalf("scan of an unchanged tree: %v, %v", batch.Changes, err)
				}
			}
			b.ReportMetric(float64(stats.Load())/float64(b.N), "stats/scan")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/scan")
		})
	}
}

// makeFiles writes files spread over dirs directories below dir.
func makeFiles(b *testing.B, dir string, files, dirs int) {
	b.Helper()
	for d := range dirs {
		sub := filepath.Join(dir, fmt.Sprintf("d%04d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range files / dirs {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.js", f)), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

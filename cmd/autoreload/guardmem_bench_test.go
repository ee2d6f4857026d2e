//go:build linux

package main

import (
	"github.com/autoreload/autoreload/watchman/testkit"

	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// BenchmarkGuardPeakRSS reports the peak RSS (VmHWM) of a guard with
// COMMAND running, in KiB, for autoreload built as the README installs it
// (static, CGO_ENABLED=0) and with cgo, without the race detector or the
// fault hooks of the end-to-end tests' binary. A guard lives beside every
// COMMAND, so each page it touches counts (issue 20: at most about 3 MiB).
//
//	go test -run '^$' -bench GuardPeakRSS ./cmd/autoreload/
func BenchmarkGuardPeakRSS(b *testing.B) {
	for _, build := range []struct{ name, cgo string }{{"static", "0"}, {"cgo", "1"}} {
		b.Run(build.name, func(b *testing.B) {
			bin := filepath.Join(b.TempDir(), "autoreload")
			cmd := exec.Command("go", "build", "-o", bin, ".")
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+build.cgo)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("building autoreload: %v\n%s", err, out)
			}
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var sum int
			for range b.N {
				sum += guardPeakRSS(b, bin, dir)
			}
			b.ReportMetric(float64(sum)/float64(b.N), "guard-KiB")
		})
	}
}

// guardPeakRSS runs bin with a COMMAND that waits, and returns its guard's
// VmHWM once it no longer grows.
func guardPeakRSS(b *testing.B, bin, dir string) int {
	cmd := exec.Command(bin, "--reloader=stat", "--log-format=json", "--", "sleep", "60")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid := 0
	for sc := bufio.NewScanner(stderr); pid == 0 && sc.Scan(); {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.msg() == "started" {
			pid = e.pid()
		}
	}
	p, ok := proctree.ReadStat(pid)
	if pid == 0 || !ok {
		b.Fatal("autoreload started no COMMAND")
	}
	// No event tells when the guard, past COMMAND's start, waits: its
	// peak is read until it stays the same for 100 ms (5 reads).
	peak, same := testkit.StatusNumber(b, p.PPid, "VmHWM"), 0
	for deadline := time.Now().Add(5 * time.Second); same < 5 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if now := testkit.StatusNumber(b, p.PPid, "VmHWM"); now == peak {
			same++
		} else {
			peak, same = now, 0
		}
	}
	return peak
}

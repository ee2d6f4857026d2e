package watchman

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/bser"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

func notificationLine(files int) []byte {
	var list []map[string]any
	for i := range files {
		list = append(list, map[string]any{
			"name": fmt.Sprintf("pkg/sub%d/file%d.go", i%50, i), "exists": true, "new": false,
			"type": "f", "mtime_ns": 1795498397942849730 + i, "size": 1234 + i,
		})
	}
	b, _ := json.Marshal(map[string]any{
		"unilateral": true, "subscription": "autoreload-1-1", "root": "/src/app",
		"is_fresh_instance": false, "since": "c:1:2:3:4", "clock": "c:1:2:3:5",
		"version": "4.9.0", "files": list,
	})
	return b
}

// BenchmarkDecodeNotification measures reading one notification from the
// socket's buffer and turning it into changes, as the subscription does:
// "json" is the JSON path (for daemons without bser-v2), "bser" the BSER v2
// path with files as a template (as 4.9 sends them), side by side; and
// "protocol" the dependency's own JSON decoding (json.Unmarshal into
// float64 numbers plus NewSubscription), which does less (no checks, no
// changes) and loses mtime_ns's nanoseconds, for a ratio.
func BenchmarkDecodeNotification(b *testing.B) {
	for _, files := range []int{1, 100, 10000} {
		line := notificationLine(files)
		pdu := []byte(toBSER(string(line) + "\n"))
		b.Run(fmt.Sprintf("json/files=%d", files), func(b *testing.B) {
			benchRecv(b, append(line, '\n'), files, func(r *bufio.Reader, _ *[]byte) (any, error) {
				return readJSON(r, maxReply)
			})
		})
		b.Run(fmt.Sprintf("bser/files=%d", files), func(b *testing.B) {
			benchRecv(b, pdu, files, func(r *bufio.Reader, buf *[]byte) (any, error) {
				return readBSER(r, maxReply, buf)
			})
		})
	}
}

// benchRecv reads data as conn.recv does, with read, and makes changes of
// the notification's files.
func benchRecv(b *testing.B, data []byte, files int, read func(*bufio.Reader, *[]byte) (any, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	src := bytes.NewReader(data)
	r := bufio.NewReaderSize(src, 64<<10)
	var buf []byte
	for b.Loop() {
		src.Reset(data)
		r.Reset(src)
		v, err := read(r, &buf)
		if err != nil {
			b.Fatal(err)
		}
		pdu, err := pduOf(v)
		if err != nil {
			b.Fatal(err)
		}
		n, err := parseNotice(pdu)
		if err != nil || len(n.files) != files {
			b.Fatal(err)
		}
		for _, f := range n.files {
			_ = f.change("/src/app")
		}
	}
}

// BenchmarkChangeToBatch measures, against a real daemon with its default
// settle (20 ms), the time from a file write to the batch naming it.
func BenchmarkChangeToBatch(b *testing.B) {
	d := watchmantest.Start(b)
	root, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	testkit.Write(b, filepath.Join(root, ".watchmanconfig"), "{}")
	s := subscribe(b, d, newSpec(b, spec.Options{Watch: []string{root}}), Options{})
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		p := filepath.Join(root, fmt.Sprintf("f%d.go", i))
		start := time.Now()
		testkit.Write(b, p, "x")
		for found := false; !found; {
			for _, c := range next(b, s).Changes {
				found = found || c.Path == p
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkIdleCPU subscribes and stays idle for AUTORELOAD_IDLE_SECONDS
// (default 5; the figure is for 30), reporting the process's CPU
// time per idle second with the default health interval.
func BenchmarkIdleCPU(b *testing.B) {
	window := 5 * time.Second
	if v := os.Getenv("AUTORELOAD_IDLE_SECONDS"); v != "" {
		var n int
		fmt.Sscan(strings.TrimSpace(v), &n)
		window = time.Duration(n) * time.Second
	}
	d := watchmantest.Start(b)
	root, _ := filepath.EvalSymlinks(b.TempDir())
	testkit.Write(b, filepath.Join(root, ".watchmanconfig"), "{}")
	s := subscribe(b, d, newSpec(b, spec.Options{Watch: []string{root}}), Options{})
	_ = s
	for b.Loop() {
		before := cpuTime()
		time.Sleep(window) // the quantity measured is what happens while idle
		used := cpuTime() - before
		b.ReportMetric(float64(used.Microseconds())/1000/window.Seconds(), "cpu-ms/s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCatchUpReply measures the catch-up query's reply when a whole
// tree was written in the second of Since, before it (a checkout just
// before autoreload started; the benchmark's own 100,000-file tree): every
// file comes back and none is a change. "decoded-at-once" decodes the
// files list whole, as the client did first; "one-at-a-time" reads the body
// whole and decodes the files from it one at a time (readBSER), as it did
// next; "streamed" reads each from the reader as it arrives, its fields
// typed where they lie (readBSEREach, elemFields), as catchUp does now. peak-MiB is the live heap above the
// reader's while the files are looked at, which is what the process's peak
// resident memory grows by.
func BenchmarkCatchUpReply(b *testing.B) {
	const files = 100_000
	pdu := catchUpReply(files, catchUpSince)
	b.Run("decoded-at-once", func(b *testing.B) {
		benchCatchUp(b, pdu, func(r *bufio.Reader, add func(fileFields) error) error {
			_, body, err := bser.Read(r, maxReply, nil)
			if err != nil {
				return err
			}
			v, err := bser.Decode(body)
			if err != nil {
				return err
			}
			return eachFile(v.(map[string]any)["files"], func(f map[string]any) error { return add(mapFields(f)) })
		})
	})
	b.Run("one-at-a-time", func(b *testing.B) {
		benchCatchUp(b, pdu, func(r *bufio.Reader, add func(fileFields) error) error {
			var buf []byte
			v, err := readBSER(r, maxReply, &buf)
			if err != nil {
				return err
			}
			return eachFile(v.(map[string]any)["files"], func(f map[string]any) error { return add(mapFields(f)) })
		})
	})
	b.Run("streamed", func(b *testing.B) {
		benchCatchUp(b, pdu, func(r *bufio.Reader, add func(fileFields) error) error {
			_, err := readBSEREach(r, maxReply, func(e *bser.Elem) error { return add(elemFields{e}) })
			return err
		})
	})
}

func benchCatchUp(b *testing.B, data []byte, read func(*bufio.Reader, func(fileFields) error) error) {
	b.ReportAllocs()
	src := bytes.NewReader(data)
	r := bufio.NewReaderSize(src, 64<<10)
	var peak uint64
	for b.Loop() {
		src.Reset(data)
		r.Reset(src)
		probe := newHeapProbe(10_000)
		found := &changedSince{dir: "/src/app", ns: catchUpSince}
		err := read(r, func(f fileFields) error {
			probe.tick()
			return found.add(f)
		})
		if err != nil || len(found.changes) != 0 {
			b.Fatalf("%d changes, %v", len(found.changes), err)
		}
		peak = max(peak, probe.peak)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

package watchman

import (
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// retained is the heap memory the runtime holds from the system.
func retained() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapSys - ms.HeapReleased
}

// streamMiB writes n MiB of b.
func streamMiB(w io.Writer, n int, b byte) {
	chunk := []byte(strings.Repeat(string(b), 1<<20))
	for range n {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// A reply over the cap, or a large one that does not decode, ends the
// subscription (a bad reply, promptly) and leaves the process holding no
// more memory than before it: nothing of it is kept, and the pages it took
// go back to the system at once (a 100 MB line used to leave 175 MB behind).
func TestLargeBadReplyLeavesNoMemory(t *testing.T) {
	cases := []struct {
		name   string
		bser   bool
		stream func(io.Writer)
	}{
		{"json line of 100 MiB", false, func(w io.Writer) {
			io.WriteString(w, `{"version":"4.9.0","clock":"`)
			streamMiB(w, 100, 'a')
		}},
		{"bser prefix of 2 GB", true, func(w io.Writer) {
			w.Write([]byte("\x00\x02\x00\x00\x00\x00\x05\xff\xff\xff\x7f"))
			streamMiB(w, 100, 0x0a)
		}},
		{"bser 60 MiB that do not decode", true, func(w io.Writer) {
			w.Write(binary.NativeEndian.AppendUint32([]byte("\x00\x02\x00\x00\x00\x00\x05"), 60<<20))
			streamMiB(w, 60, 0x0e)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t, nil, nil)
			if tc.bser {
				f = fakeBSER(t, nil, nil)
			}
			f.streams = map[string]func(io.Writer){"clock": tc.stream}
			runtime.GC()
			before := retained()
			start := time.Now()
			_, err := Subscribe(t.Context(), newSpec(t, spec.Options{Watch: []string{t.TempDir()}}),
				Options{Sock: f.sock, Timeout: 10 * time.Second})
			if r := reasonOf(t, err); r != ReasonProtocol {
				t.Fatalf("reason %v (%v), want %v", r, err, ReasonProtocol)
			}
			t.Logf("%v after %v", err, time.Since(start))
			after := retained()
			t.Logf("heap held from the system: %d MiB before, %d MiB after", before>>20, after>>20)
			if after > before+16<<20 {
				t.Errorf("heap held from the system grew from %d MiB to %d MiB", before>>20, after>>20)
			}
		})
	}
}

// The catch-up query's reply lists a whole tree when the tree was written
// in the second autoreload started (the query's since terms compare whole
// seconds): 100,000 files, 3.8 MB of BSER, none of them a change. It is
// decoded from the socket as it arrives, so the heap it takes while its
// files are looked at does not grow with the tree; read whole first, its
// body was held throughout (and the heap peaked at twice that). Nor do its
// allocations: an entry dropped is read where it lies; decoded, it left
// four allocations of garbage (4.8 MB for the tree, enough for the heap to
// reach the collector's first goal).
func TestCatchUpReplyHeapDoesNotGrowWithTheTree(t *testing.T) {
	peak, allocs := map[int]uint64{}, map[int]uint64{}
	sizes := []int{10_000, 100_000}
	for _, n := range sizes {
		pdu := catchUpReply(n, catchUpSince)
		f := fakeBSER(t, nil, nil)
		f.streams = map[string]func(io.Writer){"query": func(w io.Writer) { w.Write(pdu) }}
		c, err := connect(t.Context(), f.sock, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		probe := newHeapProbe(n / 10)
		found := &changedSince{dir: "/src/app", ns: catchUpSince}
		mallocs := mallocCount()
		_, err = c.requestFiles(t.Context(), "query", &queryRequest{watch: "/src/app", query: map[string]any{}},
			10*time.Second, func(f fileFields) error {
				probe.tick()
				return found.add(f)
			})
		allocs[n] = mallocCount() - mallocs
		c.Close()
		if err != nil || len(found.changes) != 0 || probe.n != n {
			t.Fatalf("%d files: %d looked at, %d changes, %v", n, probe.n, len(found.changes), err)
		}
		peak[n] = probe.peak
		t.Logf("%d files (%d KiB of BSER): heap peaked %d KiB above the start; %d allocations",
			n, len(pdu)>>10, probe.peak>>10, allocs[n])
	}
	small, large := peak[sizes[0]], peak[sizes[1]]
	if large > small+1<<20 {
		t.Errorf("the heap taken by a catch-up reply grew from %d KiB (%d files) to %d KiB (%d files)",
			small>>10, sizes[0], large>>10, sizes[1])
	}
	// The daemon's side of the fake allocates too, the same for any size.
	if a, b := allocs[sizes[0]], allocs[sizes[1]]; b > a+1000 {
		t.Errorf("reading a catch-up reply took %d allocations for %d files, %d for %d", a, sizes[0], b, sizes[1])
	}
}

// mallocCount is the number of heap allocations made so far.
func mallocCount() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// catchUpSince is the Since of catchUpReply's files: all are a little
// older, in the same second.
const catchUpSince = int64(1795498397_900_000_000)

// catchUpReply is the BSER reply of a catch-up query listing files of a
// tree written just before catchUpSince, as Watchman 4.9 sends it.
func catchUpReply(files int, since int64) []byte {
	var line strings.Builder
	line.WriteString(`{"version":"4.9.0","clock":"c:1:2:3:4","is_fresh_instance":true,"files":[`)
	for i := range files {
		if i > 0 {
			line.WriteByte(',')
		}
		fmt.Fprintf(&line, `{"name":"d%03d/s%d/f%02d.py","exists":true,"mtime_ns":%d,"ctime_ns":%d,"size":0}`,
			i/1000, i%1000/100, i%100, since-1_000_000+int64(i), since-1_000_000+int64(i))
	}
	line.WriteString("]}\n")
	return []byte(toBSER(line.String()))
}

// heapProbe records the peak of the live heap above where it was made,
// sampled at every every-th tick, after a collection: what is live, not
// what awaits collection.
type heapProbe struct {
	base, peak uint64
	n, every   int
}

func newHeapProbe(every int) *heapProbe {
	p := &heapProbe{every: every}
	p.base = liveHeap()
	return p
}

func (p *heapProbe) tick() {
	p.n++
	if p.n%p.every == 0 {
		h := liveHeap()
		p.peak = max(p.peak, h-min(h, p.base))
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

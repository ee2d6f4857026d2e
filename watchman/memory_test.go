package watchman

import (
	"encoding/binary"
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

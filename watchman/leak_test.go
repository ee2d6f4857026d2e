package watchman

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// Failed checks, failed and closed subscriptions leave no descriptor open
// (goroutines are checked for the whole package by goleak in TestMain).
func TestNoDescriptorLeak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	d := watchmantest.Start(t)
	garbage := fake(t, map[string]string{"list-capabilities": "garbage\n"}, nil)
	hung := fake(t, map[string]string{"clock": ""}, nil)
	hungBSER := fakeBSER(t, map[string]string{"clock": ""}, nil)
	garbageBSER := fakeBSER(t, nil, map[string]string{"subscribe": "\x00\x02\x00\x00\x00\x00\x03\x01\x0e"})
	root := project(t)
	spec := newSpec(t, spec.Options{Watch: []string{root}})
	before := testkit.OpenFDs(t, os.Getpid())
	for range 5 {
		if err := Check(t.Context(), garbage.sock, time.Second); err == nil {
			t.Fatal("garbage accepted")
		}
		for _, f := range []*fakeDaemon{hung, hungBSER} {
			if _, err := Subscribe(t.Context(), spec, Options{Sock: f.sock, Timeout: 100 * time.Millisecond}); err == nil {
				t.Fatal("a hung clock accepted")
			}
		}
		if s, err := Subscribe(t.Context(), spec, Options{Sock: garbageBSER.sock, Timeout: time.Second}); err == nil {
			if err, _ := waitErr(t, s); err == nil {
				t.Fatal("a garbage notification accepted")
			}
			s.Close()
		}
		s, err := Subscribe(t.Context(), spec, Options{Sock: d.Sock, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	// The fakes close their side when they see our close, a moment later.
	deadline := time.Now().Add(wait)
	for testkit.OpenFDs(t, os.Getpid()) != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := testkit.OpenFDs(t, os.Getpid()); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

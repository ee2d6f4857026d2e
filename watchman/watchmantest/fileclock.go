package watchmantest

import (
	"testing"
	"time"
)

// AgeFiles waits until the kernel's file clock has moved on by two ticks,
// so that what a test wrote so far is stamped before anything written next,
// and before any time baseline read from now on: a tree made by the test
// then looks like one edited long before. Two ticks: a fine-grained ctime
// (multigrain timestamps) can lead the coarse clock by up to one. fileTime
// is spec.FileTime (passed in: the watchman package's own tests import
// this one).
func AgeFiles(t testing.TB, fileTime func() time.Time) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for range 2 {
		t0 := fileTime()
		for !fileTime().After(t0) {
			if time.Now().After(deadline) {
				t.Fatal("watchmantest: the file clock did not move in 5 s")
			}
			time.Sleep(time.Millisecond)
		}
	}
}

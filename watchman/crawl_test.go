package watchman

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// A crawl that never ends (a daemon that answers health requests but never
// watch-project) ends Subscribe once CrawlTimeout passes, with an error that
// says so: not available yet.
func TestCrawlTimeoutEndsANeverEndingCrawl(t *testing.T) {
	const crawl = 300 * time.Millisecond
	f := fake(t, map[string]string{"watch-project": ""}, nil)
	root := t.TempDir()
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := Subscribe(ctx, newSpec(t, spec.Options{Watch: []string{root}}),
		Options{Sock: f.sock, Timeout: 200 * time.Millisecond, HealthInterval: 50 * time.Millisecond, CrawlTimeout: crawl})
	took := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Subscribe returned during a crawl that never ends")
	}
	var ce *CrawlError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCrawling) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want a CrawlError matching ErrCrawling and ErrUnavailable", err)
	}
	if ce.Root != root || took < crawl {
		t.Fatalf("%v after %v, want the root %s after at least %v", err, took, root, crawl)
	}
	oneLineError(t, err)
}

// Health is a well-formed get-pid reply: one without a pid, from something
// that answers anything, is not. During the first crawl (the watchdog's
// ping) and on an idle subscription (the health loop) alike.
func TestHealthNeedsAPid(t *testing.T) {
	noPid := `{"version":"4.9.0"}` + "\n"
	for _, tc := range []struct {
		name    string
		replies map[string]string
	}{
		{"during the crawl", map[string]string{"watch-project": "", "get-pid": noPid}},
		{"idle subscription", map[string]string{"get-pid": noPid}},
		{"pid not a number", map[string]string{"get-pid": `{"version":"4.9.0","pid":"1"}` + "\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t, tc.replies, nil)
			// Bounded: without the check, the crawl "goes on" and the
			// subscription stays up for ever.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			s, err := Subscribe(ctx, newSpec(t, spec.Options{Watch: []string{t.TempDir()}}),
				Options{Sock: f.sock, Timeout: 200 * time.Millisecond, HealthInterval: 50 * time.Millisecond})
			if err == nil {
				defer s.Close()
				select {
				case <-s.done:
					err = s.failure()
				case <-ctx.Done():
					t.Fatal("a subscription whose health replies carry no pid is still up")
				}
			}
			if r := reasonOf(t, err); r != ReasonProtocol {
				t.Fatalf("reason %v (%v), want %v", r, err, ReasonProtocol)
			}
		})
	}
}

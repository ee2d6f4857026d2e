package fallback

import (
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

func TestRecentDropsWhatWasDelivered(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	r := newRecent()
	r.remember(spec.Batch{Changes: []spec.Change{
		{Path: "/src/a.go", Exists: true, Mtime: t0, Size: 10},
		{Path: "/src/gone.go", Exists: false},
	}}, t0.Add(50*time.Millisecond))

	got := r.drop(spec.Batch{Changes: []spec.Change{
		{Path: "/src/a.go", Exists: true, Mtime: t0, Size: 10},                      // same state: seen
		{Path: "/src/a.go", Exists: true, Mtime: t0.Add(time.Nanosecond), Size: 10}, // written again
		{Path: "/src/gone.go", Exists: false},                                       // same deletion
		{Path: "/src", Exists: true, Mtime: t0.Add(time.Millisecond)},               // dir touched by a.go's change
		{Path: "/src", Exists: true, Mtime: t0.Add(time.Second)},                    // dir touched later
		{Path: "/src/b.go", Exists: true, Mtime: t0, Size: 10},                      // never delivered
		{Path: "/src/gone.go", Exists: true, Mtime: t0.Add(time.Second), Size: 1},   // re-created
	}})
	want := []spec.Change{
		{Path: "/src/a.go", Exists: true, Mtime: t0.Add(time.Nanosecond), Size: 10},
		{Path: "/src", Exists: true, Mtime: t0.Add(time.Second)},
		{Path: "/src/b.go", Exists: true, Mtime: t0, Size: 10},
		{Path: "/src/gone.go", Exists: true, Mtime: t0.Add(time.Second), Size: 1},
	}
	if len(got.Changes) != len(want) {
		t.Fatalf("kept %d changes, want %d: %+v", len(got.Changes), len(want), got.Changes)
	}
	for i := range want {
		if got.Changes[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got.Changes[i], want[i])
		}
	}
}

func TestRecentKeepsUnknownBatches(t *testing.T) {
	r := newRecent()
	now := time.Now()
	r.remember(spec.Batch{Changes: []spec.Change{{Path: "/a", Exists: false}}}, now)
	got := r.drop(spec.Batch{Unknown: true, Changes: []spec.Change{{Path: "/a", Exists: false}}})
	if !got.Unknown || len(got.Changes) != 1 {
		t.Fatalf("an unknown batch was altered: %+v", got)
	}
}

func TestRecentForgetsOldDeliveries(t *testing.T) {
	r := newRecent()
	t0 := time.Now()
	r.remember(spec.Batch{Changes: []spec.Change{{Path: "/old", Exists: false}}}, t0)
	r.remember(spec.Batch{Changes: []spec.Change{{Path: "/new", Exists: false}}}, t0.Add(recentKeep+time.Second))
	if _, ok := r.byPath["/old"]; ok {
		t.Fatal("a delivery older than recentKeep is still remembered")
	}
	if _, ok := r.byPath["/new"]; !ok {
		t.Fatal("the latest delivery was forgotten")
	}
}

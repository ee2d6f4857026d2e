package bser_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/watchman/bser"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// Requests encoded here are understood by a real Watchman 4.9.0, in both
// versions, and a name that is not UTF-8 goes there and back byte for byte:
// sent in an expression, matched by the daemon against the file on disk,
// returned in the reply.
func TestDaemonRoundTrip(t *testing.T) {
	d := watchmantest.Start(t)
	root := realRoot(t)
	names := []string{badName, "latin1-caf\xe9.go", "ok.go", "ünïcode.go"}
	for _, n := range names {
		testkit.Write(t, filepath.Join(root, n), n)
	}
	c := dialDaemon(t, d)
	for _, ver := range []bser.Version{bser.V1, bser.V2} {
		_, caps := c.reply(ver, "list-capabilities")
		if !contains(caps["capabilities"], "bser-v2") {
			t.Fatalf("v%d: list-capabilities lacks bser-v2: %v", ver, caps)
		}
		_, w := c.reply(ver, "watch-project", root)
		if w["watch"] != root {
			t.Fatalf("v%d: watch-project answered %v, want watch %q", ver, w, root)
		}
		for _, n := range names {
			query := map[string]any{
				"expression":   []any{"allof", []any{"type", "f"}, []any{"name", []any{n}}},
				"fields":       []string{"name", "size"},
				"sync_timeout": 10000,
			}
			_, r := c.reply(ver, "query", root, query)
			files, _ := r["files"].([]any)
			if len(files) != 1 {
				t.Fatalf("v%d: query for %q answered %#v, want one file", ver, n, r)
			}
			f, _ := files[0].(map[string]any)
			if f["name"] != n || f["size"] != int64(len(n)) {
				t.Errorf("v%d: got %#v, want name %q size %d", ver, f, n, len(n))
			}
		}
		_, e := c.reply(ver, "no-such-command")
		if e["error"] == nil {
			t.Errorf("v%d: an unknown command answered %v, want an error", ver, e)
		}
	}
	if _, err := os.Stat(filepath.Join(root, badName)); err != nil {
		t.Fatal(err)
	}
}

func contains(list any, s string) bool {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

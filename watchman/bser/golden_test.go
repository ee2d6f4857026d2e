package bser_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/bser"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

var capture = flag.Bool("capture", false, "capture the golden PDUs again from a real Watchman (then review the diff)")

// badName is a file name that is not UTF-8: Watchman 4.9 cannot send it in
// JSON, and BSER must carry its bytes exactly.
const badName = "bad\xff\xfe.txt"

// TestCaptureGolden records replies of a private Watchman 4.9.0 under
// testdata/golden. It runs only with -capture; TestGolden checks them.
func TestCaptureGolden(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to record the golden PDUs again")
	}
	d := watchmantest.Start(t)
	root := realRoot(t)
	testkit.Write(t, filepath.Join(root, "ok.go"), "package ok\n")
	testkit.Write(t, filepath.Join(root, badName), "x")
	save := func(name string, raw []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join("testdata", "golden"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "golden", name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := dialDaemon(t, d)
	raw, _ := c.reply(bser.V1, "get-pid")
	save("get-pid.v1.bser", raw)
	raw, _ = c.reply(bser.V2, "version", map[string]any{"required": []string{"bser-v2", "relative_root"}, "optional": []string{"no-such-capability"}})
	save("version.v2.bser", raw)
	raw, _ = c.reply(bser.V2, "bogus-command")
	save("error.v2.bser", raw)
	c.reply(bser.V2, "watch-project", root)
	query := map[string]any{
		"expression": []any{"type", "f"},
		"fields":     []string{"name", "exists", "new", "type", "mtime_ns", "size"},
	}
	for _, ver := range []bser.Version{bser.V1, bser.V2} {
		raw, _ = c.reply(ver, "query", root, query)
		save("query.v"+string('0'+byte(ver))+".bser", raw)
	}
	_, clock := c.reply(bser.V2, "clock", root, map[string]any{"sync_timeout": 10000})
	sub := map[string]any{
		"expression": []any{"type", "f"},
		"fields":     []string{"name", "exists", "new", "type", "mtime_ns", "size"},
		"since":      clock["clock"],
	}
	raw, _ = c.reply(bser.V2, "subscribe", root, "golden", sub)
	save("subscribe.v2.bser", raw)
	testkit.Write(t, filepath.Join(root, badName), "changed")
	if err := os.Remove(filepath.Join(root, "ok.go")); err != nil {
		t.Fatal(err)
	}
	c.send(bser.V2, "flush-subscriptions", root, map[string]any{"sync_timeout": 10000})
	for {
		raw, m := c.next()
		if u, _ := m["unilateral"].(bool); u {
			files, _ := m["files"].([]any)
			if len(files) == 2 {
				save("notification.v2.bser", raw)
				break
			}
		}
	}
}

// Placeholders for what differs from one capture to the next.
type anyInt struct{}
type anyString struct{ prefix string }

type golden struct {
	file string
	ver  bser.Version
	want map[string]any
}

var goldens = []golden{
	{"get-pid.v1.bser", bser.V1, map[string]any{"version": "4.9.0", "pid": anyInt{}}},
	{"version.v2.bser", bser.V2, map[string]any{
		"version":      "4.9.0",
		"capabilities": map[string]any{"bser-v2": true, "relative_root": true, "no-such-capability": false},
	}},
	{"error.v2.bser", bser.V2, map[string]any{"version": "4.9.0", "error": "unknown command bogus-command"}},
	{"query.v1.bser", bser.V1, queryWant},
	{"query.v2.bser", bser.V2, queryWant},
	{"subscribe.v2.bser", bser.V2, map[string]any{"version": "4.9.0", "subscribe": "golden", "clock": anyString{"c:"}}},
	{"notification.v2.bser", bser.V2, map[string]any{
		"version": "4.9.0", "unilateral": true, "subscription": "golden", "root": anyString{"/"},
		"clock": anyString{"c:"}, "since": anyString{"c:"}, "is_fresh_instance": false,
		"files": []any{
			map[string]any{"name": badName, "exists": true, "new": false, "type": "f", "mtime_ns": anyInt{}, "size": int64(7)},
			map[string]any{"name": "ok.go", "exists": false, "new": false, "type": "f", "mtime_ns": anyInt{}, "size": int64(11)},
		},
	}},
}

var queryWant = map[string]any{
	"version": "4.9.0", "clock": anyString{"c:"}, "is_fresh_instance": true,
	"files": []any{
		map[string]any{"name": ".watchmanconfig", "exists": true, "new": true, "type": "f", "mtime_ns": anyInt{}, "size": int64(2)},
		map[string]any{"name": badName, "exists": true, "new": true, "type": "f", "mtime_ns": anyInt{}, "size": int64(1)},
		map[string]any{"name": "ok.go", "exists": true, "new": true, "type": "f", "mtime_ns": anyInt{}, "size": int64(11)},
	},
}

// TestGolden decodes PDUs a real Watchman 4.9.0 sent (see TestCaptureGolden)
// to the values it meant, names byte for byte.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "golden", g.file))
			if err != nil {
				t.Fatal(err)
			}
			v, h, err := bser.DecodePDU(raw, len(raw))
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != g.ver {
				t.Errorf("version %d, want %d", h.Version, g.ver)
			}
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("decoded %T, want an object", v)
			}
			sortFiles(m)
			if msg := match("", g.want, m); msg != "" {
				t.Errorf("%s\ndecoded: %#v", msg, m)
			}
		})
	}
}

// sortFiles orders a files list by name: the daemon's order is its own.
func sortFiles(m map[string]any) {
	files, _ := m["files"].([]any)
	slices.SortFunc(files, func(a, b any) int {
		an, _ := a.(map[string]any)["name"].(string)
		bn, _ := b.(map[string]any)["name"].(string)
		return strings.Compare(an, bn)
	})
}

// match compares got with want, where want may hold placeholders; it
// returns "" or what differs first.
func match(path string, want, got any) string {
	switch w := want.(type) {
	case anyInt:
		if n, ok := got.(int64); !ok || n <= 0 {
			return path + ": want a positive int64, got " + typeAndValue(got)
		}
		return ""
	case anyString:
		if s, ok := got.(string); !ok || !strings.HasPrefix(s, w.prefix) {
			return path + ": want a string starting " + w.prefix + ", got " + typeAndValue(got)
		}
		return ""
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path + ": want an object, got " + typeAndValue(got)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return path + "." + k + ": unexpected"
			}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k + ": missing"
			}
			if msg := match(path+"."+k, wv, gv); msg != "" {
				return msg
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path + ": want a list of " + typeAndValue(len(w)) + ", got " + typeAndValue(got)
		}
		for i := range w {
			if msg := match(path+"["+typeAndValue(i)+"]", w[i], g[i]); msg != "" {
				return msg
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return path + ": want " + typeAndValue(want) + ", got " + typeAndValue(got)
	}
	return ""
}

func typeAndValue(v any) string { return fmt.Sprintf("%T(%q)", v, fmt.Sprint(v)) }

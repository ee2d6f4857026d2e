package bser

import (
	"bytes"
	"testing"
)

// The files of a real daemon's query and notification, as a template (v2)
// or plain objects (v1), stay encoded through DecodeDeferring, and Each
// gives them back one by one as Decode gives them all; a files key below
// the top level is decoded as usual.
func TestDecodeDeferringLeavesFilesEncoded(t *testing.T) {
	for _, name := range []string{"query.v1.bser", "query.v2.bser", "notification.v2.bser"} {
		t.Run(name, func(t *testing.T) {
			_, body, err := Read(bytes.NewReader(readGolden(t, name)), 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			want := whole.(map[string]any)["files"].([]any)
			v, err := DecodeDeferring(body, "files")
			if err != nil {
				t.Fatal(err)
			}
			raw, ok := v.(map[string]any)["files"].(Raw)
			if !ok || !raw.IsList() {
				t.Fatalf("files decoded as %T, want a Raw list", v.(map[string]any)["files"])
			}
			var got []any
			if err := raw.Each(func(e any) error { got = append(got, kept(e)); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !equalValues(got, want) {
				t.Errorf("Each gave %#v, want %#v", got, want)
			}
		})
	}
	nested, err := Encode(map[string]any{"sub": map[string]any{"files": []any{"a"}}}, V2, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := Read(bytes.NewReader(nested), 1<<20, nil)
	v, err := DecodeDeferring(body, "files")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(map[string]any)["sub"].(map[string]any)["files"].([]any); !ok {
		t.Errorf("a nested files key was left encoded: %#v", v)
	}
}

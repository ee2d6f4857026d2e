package bser

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes through Read and Decode: an error or a
// value, never a panic or a hang, and a decoded value encodes and decodes
// back to itself. The seed corpus is under testdata/fuzz/FuzzDecode; the
// golden replies of a real daemon are added here.
func FuzzDecode(f *testing.F) {
	for _, name := range goldenFiles(f) {
		f.Add(readGolden(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, body, err := Read(bytes.NewReader(data), 1<<20, nil)
		if err != nil {
			return
		}
		v, err := Decode(body)
		if err != nil {
			return
		}
		for _, ver := range []Version{V1, V2} {
			pdu, err := Encode(v, ver, 0)
			if err != nil {
				t.Fatalf("a decoded value does not encode: %v", err)
			}
			again, _, err := DecodePDU(pdu, len(pdu))
			if err != nil {
				t.Fatalf("a re-encoded value does not decode: %v", err)
			}
			if !equalValues(v, again) {
				t.Fatalf("round trip changed %#v into %#v", v, again)
			}
		}
	})
}

// equalValues is reflect.DeepEqual where NaN equals NaN.
func equalValues(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb || fa != fa && fb != fb)
	}
	switch av := a.(type) {
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equalValues(av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equalValues(x, y) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

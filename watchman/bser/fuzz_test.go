package bser

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"strings"
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
		streamed, serr := streamValue(data, "files")
		_, body, err := Read(bytes.NewReader(data), 1<<20, nil)
		if err != nil {
			if serr == nil {
				t.Fatalf("Read: %v; ReadEach gave %#v", err, streamed)
			}
			return
		}
		v, err := Decode(body)
		deferred, derr := DecodeDeferring(body, "files")
		if (err == nil) != (derr == nil) {
			t.Fatalf("Decode: %v; DecodeDeferring: %v", err, derr)
		}
		if (err == nil) != (serr == nil) && !strings.Contains(fmt.Sprint(serr), `key "files" twice`) {
			t.Fatalf("Decode: %v; ReadEach: %v", err, serr)
		}
		if err != nil {
			return
		}
		if !equalValues(v, undefer(t, deferred, "files")) {
			t.Fatalf("DecodeDeferring then Each gave %#v, Decode %#v", deferred, v)
		}
		if serr == nil && !equalValues(v, streamed) {
			t.Fatalf("ReadEach gave %#v, Decode %#v", streamed, v)
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

// streamValue reads a PDU with ReadEach through a window of a few bytes
// (each element decoded in several tries) and puts the elements it handed
// over back in place of the Listed: what Decode gives.
func streamValue(pdu []byte, key string) (any, error) {
	var list []any
	_, v, err := readEach(bytes.NewReader(pdu), 1<<20, key, func(e *Elem) error {
		v, err := e.Decode()
		if err != nil {
			return fmt.Errorf("an element ReadEach checked does not decode: %w", err)
		}
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if f, ok := e.Field(k); !ok || !typedAsDecoded(f, x) {
					return fmt.Errorf("field %q: %q, decoded %#v", k, f, x)
				}
			}
		}
		list = append(list, v)
		return nil
	}, 1+len(pdu)%7)
	if err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]any); ok {
		if l, ok := m[key].(Listed); ok {
			if l.N != len(list) {
				return nil, fmt.Errorf("Listed{%d} after %d elements", l.N, len(list))
			}
			if list == nil {
				list = []any{}
			}
			m[key] = list
		}
	}
	return v, nil
}

// typedAsDecoded reports whether Raw's typed views of f agree with x, its
// decoded value.
func typedAsDecoded(f Raw, x any) bool {
	i, isInt := f.Int()
	b, isBool := f.Bool()
	s, isStr := f.Bytes()
	switch x := x.(type) {
	case int64:
		return isInt && i == x && !isBool && !isStr
	case bool:
		return isBool && b == x && !isInt && !isStr
	case string:
		return isStr && string(s) == x && !isInt && !isBool
	}
	return !isInt && !isBool && !isStr
}

// undefer decodes what DecodeDeferring left encoded under key with Each,
// into what Decode gives.
func undefer(t *testing.T, v any, key string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	raw, ok := m[key].(Raw)
	if !ok {
		return v
	}
	var list []any
	if !raw.IsList() {
		w, err := Decode(raw) // not a list: Each refuses it
		if err != nil {
			t.Fatalf("a deferred value does not decode: %v", err)
		}
		m[key] = w
		return m
	}
	if err := raw.Each(func(e any) error { list = append(list, kept(e)); return nil }); err != nil {
		t.Fatalf("Each of a value DecodeDeferring accepted: %v", err)
	}
	if list == nil {
		list = []any{}
	}
	m[key] = list
	return m
}

// kept copies an element Each hands over: a template's map is reused.
func kept(e any) any {
	if m, ok := e.(map[string]any); ok {
		return maps.Clone(m)
	}
	return e
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

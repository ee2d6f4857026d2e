package bser

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// enc builds encoded values by hand, independently of Encode.
type enc []byte

func (e enc) i8(n int8) enc { return append(e, typeInt8, byte(n)) }
func (e enc) i16(n int16) enc {
	return binary.NativeEndian.AppendUint16(append(e, typeInt16), uint16(n))
}
func (e enc) i32(n int32) enc {
	return binary.NativeEndian.AppendUint32(append(e, typeInt32), uint32(n))
}
func (e enc) i64(n int64) enc {
	return binary.NativeEndian.AppendUint64(append(e, typeInt64), uint64(n))
}
func (e enc) bytes(s string) enc {
	return append(append(e, typeBytes).i8(int8(len(s))), s...)
}
func (e enc) utf8(s string) enc {
	return append(append(e, typeUTF8).i8(int8(len(s))), s...)
}
func (e enc) t(types ...byte) enc { return append(e, types...) }

func TestDecodeValues(t *testing.T) {
	cases := []struct {
		name string
		in   enc
		want any
	}{
		{"int8", enc{}.i8(-5), int64(-5)},
		{"int16", enc{}.i16(-300), int64(-300)},
		{"int32", enc{}.i32(70000), int64(70000)},
		{"int64", enc{}.i64(1795498397942849730), int64(1795498397942849730)},
		{"int64 min", enc{}.i64(math.MinInt64), int64(math.MinInt64)},
		{"real", binary.NativeEndian.AppendUint64(enc{typeReal}, math.Float64bits(2.5)), 2.5},
		{"true", enc{typeTrue}, true},
		{"false", enc{typeFalse}, false},
		{"null", enc{typeNull}, nil},
		{"byte string keeps its bytes", enc{}.bytes("bad\xff\xfe.txt"), "bad\xff\xfe.txt"},
		{"utf8 string", enc{}.utf8("héllo"), "héllo"},
		{"empty string", enc{}.bytes(""), ""},
		{"array", enc{typeArray}.i8(3).i8(1).bytes("x").t(typeNull), []any{int64(1), "x", nil}},
		{"empty array", enc{typeArray}.i8(0), []any{}},
		{"object", enc{typeObject}.i8(2).utf8("a").i8(1).bytes("b").t(typeArray).i8(0),
			map[string]any{"a": int64(1), "b": []any{}}},
		{"object with a non-UTF-8 key", enc{typeObject}.i8(1).bytes("k\xff").t(typeTrue), map[string]any{"k\xff": true}},
		{"template with skips", enc{typeTemplate, typeArray}.i8(2).bytes("name").utf8("size").i8(3).
			bytes("a").i8(1).
			t(typeSkip).i8(2).
			bytes("c\xff").t(typeSkip),
			[]any{
				map[string]any{"name": "a", "size": int64(1)},
				map[string]any{"size": int64(2)},
				map[string]any{"name": "c\xff"},
			}},
		{"empty template", enc{typeTemplate, typeArray}.i8(0).i8(0), []any{}},
		{"nested", enc{typeArray}.i8(1).t(typeObject).i8(1).bytes("x").t(typeArray).i8(1).t(typeFalse),
			[]any{map[string]any{"x": []any{false}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := func(n int) enc {
		var e enc
		for range n {
			e = e.t(typeArray).i8(1)
		}
		return e.t(typeNull)
	}
	cases := []struct {
		name    string
		in      enc
		wantEOF bool
	}{
		{"empty", enc{}, true},
		{"unknown type", enc{0x0e}, false},
		{"type 0xff", enc{0xff}, false},
		{"skip outside a template", enc{typeSkip}, false},
		{"truncated int64", enc{typeInt64, 1, 2}, true},
		{"truncated real", enc{typeReal, 1}, true},
		{"string longer than the input", enc{typeBytes}.i8(10).t('a'), true},
		{"negative string length", enc{typeBytes}.i8(-1), false},
		{"string length not an integer", enc{typeBytes, typeTrue}, false},
		{"array of 2^62 items", enc{typeArray}.i64(1 << 62), true},
		{"object of 2^62 pairs", enc{typeObject}.i64(1 << 62), true},
		{"key not a string", enc{typeObject}.i8(1).i8(1).i8(1), false},
		{"template names not an array", enc{typeTemplate}.bytes("x"), false},
		{"template of 2^62 objects", enc{typeTemplate, typeArray}.i8(1).bytes("a").i64(1 << 62), true},
		{"template without fields but objects", enc{typeTemplate, typeArray}.i8(0).i64(1 << 40), false},
		{"template value truncated", enc{typeTemplate, typeArray}.i8(1).bytes("a").i8(1), true},
		{"trailing bytes", enc{typeNull, typeNull}, false},
		{"nesting too deep", deep(MaxDepth + 1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("decoded %#v, want an error", v)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T (%v), want *SyntaxError", err, err)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.wantEOF {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v (%v)", got, tc.wantEOF, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	if _, err := Decode(deep(MaxDepth)); err != nil {
		t.Errorf("nesting of exactly MaxDepth refused: %v", err)
	}
}

// Every proper prefix of a real reply is an error that says the input ended,
// never a panic and never a value.
func TestDecodeTruncated(t *testing.T) {
	for _, name := range goldenFiles(t) {
		raw := readGolden(t, name)
		_, body, err := Read(&sliceReader{raw}, len(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(body) {
			if v, err := Decode(body[:n]); err == nil {
				t.Fatalf("%s cut at %d decoded to %#v", name, n, v)
			} else if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s cut at %d: %v, want an unexpected EOF", name, n, err)
			}
		}
	}
}

package bser

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestEncodeRoundTrip(t *testing.T) {
	in := []any{
		"query", "/src/bad\xff", map[string]any{
			"expression": []any{"allof", []any{"type", "f"}, []any{"name", []string{"a.go", "b\xfe.go"}, "wholename"}},
			"fields":     []string{"name", "exists"},
			"sync":       map[string]int{"sync_timeout": 20000},
			"n":          []any{int8(-1), int16(300), int32(-70000), int64(math.MaxInt64), uint(7), 0, -129},
			"f":          1.5,
			"flags":      []any{true, false, nil},
			"raw":        []byte("by\xfftes"),
			"empty":      map[string]any{},
		},
	}
	want := []any{
		"query", "/src/bad\xff", map[string]any{
			"expression": []any{"allof", []any{"type", "f"}, []any{"name", []any{"a.go", "b\xfe.go"}, "wholename"}},
			"fields":     []any{"name", "exists"},
			"sync":       map[string]any{"sync_timeout": int64(20000)},
			"n":          []any{int64(-1), int64(300), int64(-70000), int64(math.MaxInt64), int64(7), int64(0), int64(-129)},
			"f":          1.5,
			"flags":      []any{true, false, nil},
			"raw":        "by\xfftes",
			"empty":      map[string]any{},
		},
	}
	for _, ver := range []Version{V1, V2} {
		pdu, err := Encode(in, ver, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, h, err := DecodePDU(pdu, len(pdu))
		if err != nil {
			t.Fatalf("v%d: %v", ver, err)
		}
		if h.Version != ver {
			t.Errorf("header version %d, want %d", h.Version, ver)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("v%d: got %#v\nwant %#v", ver, got, want)
		}
	}
}

// v1 has byte strings only; v2 marks valid UTF-8 as such and leaves any
// other string a byte string, so its bytes are never reinterpreted.
func TestEncodeStringKinds(t *testing.T) {
	cases := []struct {
		ver  Version
		s    string
		want byte
	}{
		{V1, "name", typeBytes},
		{V1, "bad\xff", typeBytes},
		{V2, "name", typeUTF8},
		{V2, "bad\xff", typeBytes},
	}
	for _, tc := range cases {
		pdu, err := Encode(tc.s, tc.ver, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := Read(bytes.NewReader(pdu), len(pdu), nil)
		if err != nil {
			t.Fatal(err)
		}
		if body[0] != tc.want {
			t.Errorf("v%d %q: type 0x%02x, want 0x%02x", tc.ver, tc.s, body[0], tc.want)
		}
	}
}

// The smallest width that holds an integer is used, as Watchman does.
func TestEncodeIntWidths(t *testing.T) {
	cases := []struct {
		n    int64
		want byte
	}{
		{0, typeInt8}, {127, typeInt8}, {-128, typeInt8}, {128, typeInt16}, {-32769, typeInt32},
		{math.MaxInt32, typeInt32}, {math.MaxInt32 + 1, typeInt64}, {math.MinInt64, typeInt64},
	}
	for _, tc := range cases {
		if b := appendInt(nil, tc.n); b[0] != tc.want {
			t.Errorf("%d: type 0x%02x, want 0x%02x", tc.n, b[0], tc.want)
		}
	}
}

func TestEncodeV2Capabilities(t *testing.T) {
	pdu, err := Encode(nil, V2, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, h, err := DecodePDU(pdu, len(pdu))
	if err != nil || h.Capabilities != 3 || h.Length != 1 {
		t.Fatalf("header %+v, %v; want capabilities 3, length 1", h, err)
	}
}

func TestEncodeRefuses(t *testing.T) {
	deep := any(nil)
	for range MaxDepth + 2 {
		deep = []any{deep}
	}
	for name, v := range map[string]any{
		"channel":         make(chan int),
		"int-keyed map":   map[int]string{1: "a"},
		"uint64 overflow": uint64(math.MaxUint64),
		"too deep":        deep,
		"func":            func() {},
	} {
		if _, err := Encode(v, V2, 0); err == nil {
			t.Errorf("%s: encoded, want an error", name)
		}
	}
	if _, err := Encode("x", 3, 0); err == nil {
		t.Error("version 3: encoded, want an error")
	}
}

func TestEncodeSortsKeys(t *testing.T) {
	m := map[string]any{}
	for _, k := range []string{"z", "a", "m", "b", "y"} {
		m[k] = k
	}
	first, _ := Encode(m, V2, 0)
	for range 20 {
		if again, _ := Encode(m, V2, 0); !bytes.Equal(again, first) {
			t.Fatal("the same map encoded two ways")
		}
	}
}

func TestEncodeTemplate(t *testing.T) {
	tmpl := Template{
		Fields: []string{"name", "exists", "size"},
		Objects: []map[string]any{
			{"name": "a\xff", "exists": true, "size": 3},
			{"name": "b", "exists": false},
			{},
		},
	}
	pdu, err := Encode(map[string]any{"files": tmpl}, V2, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := DecodePDU(pdu, len(pdu))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"files": []any{
		map[string]any{"name": "a\xff", "exists": true, "size": int64(3)},
		map[string]any{"name": "b", "exists": false},
		map[string]any{},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

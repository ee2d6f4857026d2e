package bser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
)

// After fn's error or a value that does not decode, ReadEach has read the
// whole PDU: the next one reads as if nothing had happened.
func TestReadEachLeavesTheNextPDU(t *testing.T) {
	reply := map[string]any{"clock": "c:1:2", "files": []any{
		map[string]any{"name": "a", "exists": true},
		false,
	}}
	good, err := Encode(reply, V2, 0)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-1] = 0x0e // false's type byte becomes no type
	next, err := Encode(map[string]any{"clock": "next"}, V2, 0)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	cases := []struct {
		name string
		pdu  []byte
		fn   func(*Elem) error
		want func(error) bool
	}{
		{"fn fails", good, func(*Elem) error { return stop },
			func(err error) bool { return err == stop }},
		{"malformed", bad, func(*Elem) error { return nil },
			func(err error) bool { _, ok := errors.AsType[*SyntaxError](err); return ok }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(append(bytes.Clone(tc.pdu), next...))
			_, _, err := readEach(r, 1<<20, "files", tc.fn, 4)
			if !tc.want(err) {
				t.Fatalf("ReadEach: %v", err)
			}
			_, v, err := ReadEach(r, 1<<20, "files", tc.fn)
			if m, _ := v.(map[string]any); err != nil || m["clock"] != "next" {
				t.Fatalf("the next PDU read as %#v, %v", v, err)
			}
		})
	}
}

// A body cut short is the connection's error, not the value's.
func TestReadEachBodyCutShort(t *testing.T) {
	pdu, err := Encode(map[string]any{"files": []any{"a", "b", "c"}}, V2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_, _, err = readEach(bytes.NewReader(pdu[:len(pdu)-2]), 1<<20, "files",
		func(*Elem) error { n++; return nil }, 4)
	if _, ok := errors.AsType[*SyntaxError](err); ok || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadEach of a PDU cut short: %v", err)
	}
	if n > 2 {
		t.Errorf("%d elements handed over, of a list cut short in its third", n)
	}
}

// An element is handed over encoded, its fields typed by Raw without a
// copy or an allocation, in a template as in a plain list.
func TestReadEachElemFields(t *testing.T) {
	files := []any{
		map[string]any{"name": "a.go", "exists": true, "mtime_ns": int64(1795498397_900_000_000)},
		map[string]any{"name": "b.go", "exists": false},
	}
	for _, list := range []any{files, Template{Fields: []string{"exists", "mtime_ns", "name"},
		Objects: []map[string]any{files[0].(map[string]any), files[1].(map[string]any)}}} {
		pdu, err := Encode(map[string]any{"files": list}, V2, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var allocs float64
		read := func(e *Elem) (name []byte, exists bool, mtime int64, hasMtime bool) {
			raw, _ := e.Field("name")
			name, _ = raw.Bytes()
			raw, _ = e.Field("exists")
			exists, _ = raw.Bool()
			raw, hasMtime = e.Field("mtime_ns")
			mtime, _ = raw.Int()
			return name, exists, mtime, hasMtime
		}
		_, _, err = readEach(bytes.NewReader(pdu), 1<<20, "files", func(e *Elem) error {
			allocs += testing.AllocsPerRun(10, func() { read(e) })
			name, exists, mtime, hasMtime := read(e)
			got = append(got, fmt.Sprintf("%s %v %d %v", name, exists, mtime, hasMtime))
			return nil
		}, 8)
		want := []string{"a.go true 1795498397900000000 true", "b.go false 0 false"}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%T: %q, %v; want %q", list, got, err, want)
		}
		if allocs != 0 {
			t.Errorf("%T: reading an element's fields allocated %v times", list, allocs)
		}
	}
}

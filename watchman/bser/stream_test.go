package bser

import (
	"bytes"
	"errors"
	"io"
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
		fn   func(any) error
		want func(error) bool
	}{
		{"fn fails", good, func(any) error { return stop },
			func(err error) bool { return err == stop }},
		{"malformed", bad, func(any) error { return nil },
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
		func(any) error { n++; return nil }, 4)
	if _, ok := errors.AsType[*SyntaxError](err); ok || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadEach of a PDU cut short: %v", err)
	}
	if n > 2 {
		t.Errorf("%d elements handed over, of a list cut short in its third", n)
	}
}

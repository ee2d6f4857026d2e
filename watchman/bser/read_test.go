package bser

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// countingReader fails the test when more than allowed bytes are read.
type countingReader struct {
	t       *testing.T
	r       io.Reader
	read    int
	allowed int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read > c.allowed {
		c.t.Fatalf("read %d bytes, only %d allowed", c.read, c.allowed)
	}
	return n, err
}

// A length prefix above the limit is refused with ErrTooLarge having read
// the header and nothing more, whatever follows.
func TestReadRefusesLargePrefix(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []byte
	}{
		{"v1 2 GB", binary.NativeEndian.AppendUint32([]byte{0, 1, typeInt32}, 2<<30-1)},
		{"v2 2 GB", binary.NativeEndian.AppendUint32([]byte{0, 2, 0, 0, 0, 0, typeInt32}, 2<<30-1)},
		{"v1 2^62", binary.NativeEndian.AppendUint64([]byte{0, 1, typeInt64}, 1<<62)},
		{"v1 just over", binary.NativeEndian.AppendUint16([]byte{0, 1, typeInt16}, 1025)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest := strings.NewReader(strings.Repeat("\x0a", 4096))
			r := &countingReader{t: t, r: io.MultiReader(bytes.NewReader(tc.header), rest), allowed: len(tc.header)}
			_, _, err := Read(oneByteReader{r}, 1024, nil)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err %v, want ErrTooLarge", err)
			}
		})
	}
}

// oneByteReader returns one byte per Read, so a reader that reads ahead is
// caught by countingReader.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestReadErrors(t *testing.T) {
	get := readGolden(t, "get-pid.v1.bser")
	cases := []struct {
		name    string
		in      []byte
		wantEOF bool // errors.Is(err, io.ErrUnexpectedEOF)
	}{
		{"JSON", []byte(`{"version":"4.9.0"}` + "\n"), false},
		{"bad version", []byte{0, 3, typeInt8, 1, typeNull}, false},
		{"length not an integer", []byte{0, 1, typeTrue}, false},
		{"zero length", []byte{0, 1, typeInt8, 0}, false},
		{"negative length", []byte{0, 1, typeInt8, 0xff, typeNull}, false},
		{"one byte", []byte{0}, true},
		{"no length", []byte{0, 1}, true},
		{"v2 short capabilities", []byte{0, 2, 0, 0}, true},
		{"short length", []byte{0, 1, typeInt32, 1}, true},
		{"short body", get[:len(get)-1], true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tc.in), 1<<20, nil)
			if err == nil {
				t.Fatal("read a PDU, want an error")
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.wantEOF {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v (%v)", got, tc.wantEOF, err)
			}
		})
	}
	if _, _, err := Read(bytes.NewReader(nil), 1<<20, nil); err != io.EOF {
		t.Errorf("empty input: %v, want io.EOF", err)
	}
}

// Read stops at the end of its PDU: the next one is left in the reader.
func TestReadConsecutive(t *testing.T) {
	a, _ := Encode([]any{"a"}, V1, 0)
	b, _ := Encode([]any{"b"}, V2, 0)
	r := bytes.NewReader(append(append(a, b...), "{}\n"...))
	var buf []byte
	for _, want := range []string{"a", "b"} {
		_, body, err := Read(r, 1<<20, buf)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Decode(body)
		if err != nil || v.([]any)[0] != want {
			t.Fatalf("got %v, %v; want [%s]", v, err, want)
		}
		buf = body
	}
	if rest, _ := io.ReadAll(r); string(rest) != "{}\n" {
		t.Fatalf("left %q, want the JSON line", rest)
	}
}

// A body larger than the first allocation grows as its bytes arrive.
func TestReadLargeBody(t *testing.T) {
	big := strings.Repeat("x\xff", 3*growStep)
	pdu, err := Encode(big, V1, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := DecodePDU(pdu, len(pdu))
	if err != nil || v != big {
		t.Fatalf("large string did not survive: %v", err)
	}
	if _, _, err := DecodePDU(pdu, len(pdu)-10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit below the PDU: %v, want ErrTooLarge", err)
	}
}

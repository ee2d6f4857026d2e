package bser

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Decode decodes one encoded value (a PDU's body, without its header). The
// value must span data exactly. Strings are copied: data may be reused once
// Decode returns.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(data) {
		return nil, d.errorf(nil, "%d bytes after the value", len(data)-d.pos)
	}
	return v, nil
}

// decoder walks data; every read checks the bounds first.
type decoder struct {
	data []byte
	pos  int
	// keys interns object keys: a files list repeats the same few names in
	// every entry, and one string each saves an allocation per entry.
	keys map[string]string
}

func (d *decoder) errorf(err error, format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (d *decoder) truncated(what string) error {
	return d.errorf(io.ErrUnexpectedEOF, "input ends inside %s", what)
}

func (d *decoder) left() int { return len(d.data) - d.pos }

func (d *decoder) value(depth int) (any, error) {
	if d.left() < 1 {
		return nil, d.truncated("a value")
	}
	switch t := d.data[d.pos]; t {
	case typeArray:
		d.pos++
		return d.array(depth + 1)
	case typeObject:
		d.pos++
		return d.object(depth + 1)
	case typeBytes, typeUTF8:
		d.pos++
		return d.str()
	case typeInt8, typeInt16, typeInt32, typeInt64:
		return d.int()
	case typeReal:
		d.pos++
		if d.left() < 8 {
			return nil, d.truncated("a real")
		}
		f := math.Float64frombits(binary.NativeEndian.Uint64(d.data[d.pos:]))
		d.pos += 8
		return f, nil
	case typeTrue:
		d.pos++
		return true, nil
	case typeFalse:
		d.pos++
		return false, nil
	case typeNull:
		d.pos++
		return nil, nil
	case typeTemplate:
		d.pos++
		return d.template(depth + 1)
	case typeSkip:
		return nil, d.errorf(nil, "skip marker outside a template")
	default:
		return nil, d.errorf(nil, "unknown type 0x%02x", t)
	}
}

// int decodes an integer, type byte included.
func (d *decoder) int() (int64, error) {
	if d.left() < 1 {
		return 0, d.truncated("an integer")
	}
	t := d.data[d.pos]
	var size int
	switch t {
	case typeInt8:
		size = 1
	case typeInt16:
		size = 2
	case typeInt32:
		size = 4
	case typeInt64:
		size = 8
	default:
		return 0, d.errorf(nil, "type 0x%02x where an integer must be", t)
	}
	if d.left() < 1+size {
		return 0, d.truncated("an integer")
	}
	b := d.data[d.pos+1:]
	d.pos += 1 + size
	switch size {
	case 1:
		return int64(int8(b[0])), nil
	case 2:
		return int64(int16(binary.NativeEndian.Uint16(b))), nil
	case 4:
		return int64(int32(binary.NativeEndian.Uint32(b))), nil
	default:
		return int64(binary.NativeEndian.Uint64(b)), nil
	}
}

// count decodes a length or count and checks it against what is left: each
// counted item takes at least per bytes, so a count that cannot fit is
// refused before anything is allocated for it.
func (d *decoder) count(what string, per int) (int, error) {
	at := d.pos
	n, err := d.int()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		d.pos = at
		return 0, d.errorf(nil, "negative %s %d", what, n)
	}
	if n > int64(d.left()/per) {
		d.pos = at
		return 0, d.errorf(io.ErrUnexpectedEOF, "%s %d exceeds the %d bytes left", what, n, d.left())
	}
	return int(n), nil
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.count("string length", 1)
	if err != nil {
		return nil, err
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) str() (string, error) {
	b, err := d.bytes()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// key decodes an object key or template field name: a string of either kind.
func (d *decoder) key() (string, error) {
	if d.left() < 1 {
		return "", d.truncated("a key")
	}
	if t := d.data[d.pos]; t != typeBytes && t != typeUTF8 {
		return "", d.errorf(nil, "key of type 0x%02x, not a string", t)
	}
	d.pos++
	b, err := d.bytes()
	if err != nil {
		return "", err
	}
	if len(b) > 64 {
		return string(b), nil
	}
	if k, ok := d.keys[string(b)]; ok {
		return k, nil
	}
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	k := string(b)
	d.keys[k] = k
	return k, nil
}

func (d *decoder) checkDepth(depth int) error {
	if depth > MaxDepth {
		return d.errorf(nil, "nesting deeper than %d", MaxDepth)
	}
	return nil
}

func (d *decoder) array(depth int) ([]any, error) {
	if err := d.checkDepth(depth); err != nil {
		return nil, err
	}
	n, err := d.count("array length", 1)
	if err != nil {
		return nil, err
	}
	a := make([]any, n)
	for i := range a {
		if a[i], err = d.value(depth); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (d *decoder) object(depth int) (map[string]any, error) {
	if err := d.checkDepth(depth); err != nil {
		return nil, err
	}
	// A pair is at least a 3-byte key (type, int8 length, no bytes) and a
	// 1-byte value.
	n, err := d.count("object size", 4)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, n)
	for range n {
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		if m[k], err = d.value(depth); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// template decodes the compact form of an array of objects: an array of
// field names, a count, then each object's values in field order, with a
// skip marker for a field the object lacks.
func (d *decoder) template(depth int) ([]any, error) {
	if err := d.checkDepth(depth); err != nil {
		return nil, err
	}
	if d.left() < 1 || d.data[d.pos] != typeArray {
		if d.left() < 1 {
			return nil, d.truncated("a template")
		}
		return nil, d.errorf(nil, "template field names are not an array")
	}
	d.pos++
	nk, err := d.count("template field count", 3)
	if err != nil {
		return nil, err
	}
	keys := make([]string, nk)
	for i := range keys {
		if keys[i], err = d.key(); err != nil {
			return nil, err
		}
	}
	// Every object takes at least one byte per field; objects without
	// fields would take none, so a count of them is bounded by nothing.
	if nk == 0 {
		at := d.pos
		n, err := d.int()
		if err != nil {
			return nil, err
		}
		if n != 0 {
			d.pos = at
			return nil, d.errorf(nil, "template of %d objects without fields", n)
		}
		return []any{}, nil
	}
	n, err := d.count("template object count", nk)
	if err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i := range out {
		m := make(map[string]any, nk)
		for _, k := range keys {
			if d.left() >= 1 && d.data[d.pos] == typeSkip {
				d.pos++
				continue
			}
			if m[k], err = d.value(depth); err != nil {
				return nil, err
			}
		}
		out[i] = m
	}
	return out, nil
}

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
	return decoder{data: data}.whole()
}

// whole decodes d's data, which must be one value exactly.
func (d decoder) whole() (any, error) {
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(d.data) {
		return nil, d.errorf(nil, "%d bytes after the value", len(d.data)-d.pos)
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
	// deferKey, when set, is the key of the top-level object whose value
	// is checked but left encoded (DecodeDeferring).
	deferKey string
	// discard checks values without building them: value returns nil.
	discard bool
	// unread counts the bytes of the value that follow data, not yet read
	// (ReadEach's window); base is the offset of data in the value.
	unread, base int
	// short is set when data ended inside a value: more bytes may make it
	// decode (ReadEach reads them and tries again).
	short bool
}

func (d *decoder) errorf(err error, format string, args ...any) error {
	return &SyntaxError{Offset: d.base + d.pos, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (d *decoder) truncated(what string) error {
	d.short = true
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
		a, err := d.array(depth + 1)
		if a == nil {
			return nil, err // not a nil []any
		}
		return a, err
	case typeObject:
		d.pos++
		m, err := d.object(depth + 1)
		if m == nil {
			return nil, err
		}
		return m, err
	case typeBytes, typeUTF8:
		d.pos++
		if d.discard {
			_, err := d.bytes()
			return nil, err
		}
		return d.str()
	case typeInt8, typeInt16, typeInt32, typeInt64:
		n, err := d.int()
		if err != nil || d.discard {
			return nil, err
		}
		return n, nil
	case typeReal:
		d.pos++
		if d.left() < 8 {
			return nil, d.truncated("a real")
		}
		f := math.Float64frombits(binary.NativeEndian.Uint64(d.data[d.pos:]))
		d.pos += 8
		if d.discard {
			return nil, nil
		}
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
		a, err := d.template(depth + 1)
		if a == nil {
			return nil, err
		}
		return a, err
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
	size := intSize(t)
	if size == 0 {
		return 0, d.errorf(nil, "type 0x%02x where an integer must be", t)
	}
	if d.left() < 1+size {
		return 0, d.truncated("an integer")
	}
	n := intValue(size, d.data[d.pos+1:])
	d.pos += 1 + size
	return n, nil
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
	if left := d.left() + d.unread; n > int64(left/per) {
		d.pos = at
		return 0, d.errorf(io.ErrUnexpectedEOF, "%s %d exceeds the %d bytes left", what, n, left)
	}
	return int(n), nil
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.count("string length", 1)
	if err != nil {
		return nil, err
	}
	if n > d.left() {
		return nil, d.truncated("a string")
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
	if err != nil || d.discard {
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
	if d.discard {
		for range n {
			if _, err := d.value(depth); err != nil {
				return nil, err
			}
		}
		return nil, nil
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
	var m map[string]any
	if !d.discard {
		m = make(map[string]any, n)
	}
	for range n {
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		var v any
		if depth == 1 && k == d.deferKey && d.deferKey != "" {
			v, err = d.deferred(depth)
		} else {
			v, err = d.value(depth)
		}
		if err != nil {
			return nil, err
		}
		if m != nil {
			m[k] = v
		}
	}
	return m, nil
}

// deferred checks the value at d.pos without building it, and returns its
// encoding.
func (d *decoder) deferred(depth int) (Raw, error) {
	start := d.pos
	d.discard = true
	_, err := d.value(depth)
	d.discard = false
	if err != nil {
		return nil, err
	}
	return Raw(d.data[start:d.pos:d.pos]), nil
}

// template decodes the compact form of an array of objects: an array of
// field names, a count, then each object's values in field order, with a
// skip marker for a field the object lacks.
func (d *decoder) template(depth int) ([]any, error) {
	keys, n, err := d.templateHeader(depth)
	if err != nil {
		return nil, err
	}
	var out []any
	if !d.discard {
		out = make([]any, n)
	}
	for i := range n {
		m, err := d.templateRow(keys, depth)
		if err != nil {
			return nil, err
		}
		if out != nil {
			out[i] = m
		}
	}
	return out, nil
}

// templateHeader decodes a template's field names and object count.
func (d *decoder) templateHeader(depth int) ([]string, int, error) {
	if err := d.checkDepth(depth); err != nil {
		return nil, 0, err
	}
	if d.left() < 1 || d.data[d.pos] != typeArray {
		if d.left() < 1 {
			return nil, 0, d.truncated("a template")
		}
		return nil, 0, d.errorf(nil, "template field names are not an array")
	}
	d.pos++
	nk, err := d.count("template field count", 3)
	if err != nil {
		return nil, 0, err
	}
	keys := make([]string, nk)
	for i := range keys {
		if keys[i], err = d.key(); err != nil {
			return nil, 0, err
		}
	}
	// Every object takes at least one byte per field; objects without
	// fields would take none, so a count of them is bounded by nothing.
	if nk == 0 {
		at := d.pos
		n, err := d.int()
		if err != nil {
			return nil, 0, err
		}
		if n != 0 {
			d.pos = at
			return nil, 0, d.errorf(nil, "template of %d objects without fields", n)
		}
		return keys, 0, nil
	}
	n, err := d.count("template object count", nk)
	if err != nil {
		return nil, 0, err
	}
	return keys, n, nil
}

// templateRow decodes one object of a template (nil when discarding).
func (d *decoder) templateRow(keys []string, depth int) (map[string]any, error) {
	var m map[string]any
	if !d.discard {
		m = make(map[string]any, len(keys))
	}
	return m, d.templateRowInto(m, keys, depth)
}

// templateRowInto decodes one object of a template into m (nil: checked
// only).
func (d *decoder) templateRowInto(m map[string]any, keys []string, depth int) error {
	for _, k := range keys {
		if d.left() >= 1 && d.data[d.pos] == typeSkip {
			d.pos++
			continue
		}
		v, err := d.value(depth)
		if err != nil {
			return err
		}
		if m != nil {
			m[k] = v
		}
	}
	return nil
}

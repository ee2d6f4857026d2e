package bser

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"unicode/utf8"
)

// Encode encodes v as one PDU of the given version; caps is v2's capability
// word (ignored for v1). v may hold what a Watchman request holds: nil,
// bools, strings, []byte (a byte string), integers, floats, and slices,
// arrays and string-keyed maps of these. Strings are sent as byte strings
// in v1; in v2 a valid UTF-8 string is sent as a UTF-8 string and any other
// as a byte string, so a name keeps its exact bytes either way. Object keys
// are sorted, so equal values encode equally.
func Encode(v any, ver Version, caps Capabilities) ([]byte, error) {
	if ver != V1 && ver != V2 {
		return nil, fmt.Errorf("bser: unknown version %d", ver)
	}
	// Header with a 4-byte length placeholder, patched once the body is
	// known: int32 suffices, since Watchman refuses larger requests.
	b := []byte{magic0, byte(ver)}
	if ver == V2 {
		b = binary.NativeEndian.AppendUint32(b, uint32(caps))
	}
	b = append(b, typeInt32, 0, 0, 0, 0)
	start := len(b)
	e := encoder{ver: ver}
	b, err := e.value(b, reflect.ValueOf(v), 0)
	if err != nil {
		return nil, err
	}
	n := len(b) - start
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("bser: request of %d bytes is too large", n)
	}
	binary.NativeEndian.PutUint32(b[start-4:], uint32(n))
	return b, nil
}

type encoder struct{ ver Version }

func (e encoder) value(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("bser: value nested deeper than %d", MaxDepth)
	}
	if !v.IsValid() {
		return append(b, typeNull), nil
	}
	// Not a package variable: one set at initialisation would give the
	// package init work, which autoreload's guard, beside every COMMAND,
	// runs too (64 KiB of its resident memory).
	if v.Type() == reflect.TypeFor[Template]() {
		return e.template(b, v.Interface().(Template), depth)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return append(b, typeNull), nil
		}
		return e.value(b, v.Elem(), depth)
	case reflect.Bool:
		if v.Bool() {
			return append(b, typeTrue), nil
		}
		return append(b, typeFalse), nil
	case reflect.String:
		return e.str(b, v.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("bser: integer %d does not fit in int64", u)
		}
		return appendInt(b, int64(u)), nil
	case reflect.Float32, reflect.Float64:
		b = append(b, typeReal)
		return binary.NativeEndian.AppendUint64(b, math.Float64bits(v.Float())), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			b = append(b, typeBytes)
			b = appendInt(b, int64(v.Len()))
			return append(b, v.Bytes()...), nil
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, typeNull), nil
		}
		b = append(b, typeArray)
		b = appendInt(b, int64(v.Len()))
		var err error
		for i := range v.Len() {
			if b, err = e.value(b, v.Index(i), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("bser: cannot encode a map keyed by %s", v.Type().Key())
		}
		if v.IsNil() {
			return append(b, typeNull), nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int {
			switch xs, ys := x.String(), y.String(); {
			case xs < ys:
				return -1
			case xs > ys:
				return 1
			}
			return 0
		})
		b = append(b, typeObject)
		b = appendInt(b, int64(len(keys)))
		var err error
		for _, k := range keys {
			b = e.str(b, k.String())
			if b, err = e.value(b, v.MapIndex(k), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("bser: cannot encode a %s", v.Type())
}

// Template is an array of objects sent in BSER's compact form: the field
// names once, then each object's values in their order, a skip marker where
// an object lacks a field. Watchman sends query results this way; fakes of
// the daemon send them too. It decodes as an []any of map[string]any.
type Template struct {
	Fields  []string
	Objects []map[string]any
}

func (e encoder) template(b []byte, t Template, depth int) ([]byte, error) {
	b = append(b, typeTemplate, typeArray)
	b = appendInt(b, int64(len(t.Fields)))
	for _, f := range t.Fields {
		b = e.str(b, f)
	}
	b = appendInt(b, int64(len(t.Objects)))
	var err error
	for _, o := range t.Objects {
		for _, f := range t.Fields {
			v, ok := o[f]
			if !ok {
				b = append(b, typeSkip)
				continue
			}
			if b, err = e.value(b, reflect.ValueOf(v), depth+1); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (e encoder) str(b []byte, s string) []byte {
	if e.ver == V2 && utf8.ValidString(s) {
		b = append(b, typeUTF8)
	} else {
		b = append(b, typeBytes)
	}
	b = appendInt(b, int64(len(s)))
	return append(b, s...)
}

// appendInt encodes n in the smallest of the four widths, as Watchman does.
func appendInt(b []byte, n int64) []byte {
	switch {
	case n == int64(int8(n)):
		return append(b, typeInt8, byte(n))
	case n == int64(int16(n)):
		return binary.NativeEndian.AppendUint16(append(b, typeInt16), uint16(n))
	case n == int64(int32(n)):
		return binary.NativeEndian.AppendUint32(append(b, typeInt32), uint32(n))
	default:
		return binary.NativeEndian.AppendUint64(append(b, typeInt64), uint64(n))
	}
}

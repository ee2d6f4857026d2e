package bser

// Elem is one element of the list ReadEach hands over, left encoded: a
// view of ReadEach's window, valid only during fn's call, and reused. An
// object's fields (a template's row is an object too) are read one at a
// time with Field and typed with Raw's Int, Bool and Bytes, so an element
// fn looks at and drops costs no allocation.
type Elem struct {
	object bool
	raw    Raw      // the element's encoding; nil for a template's row
	keys   []string // an object's keys, or the template's field names
	vals   []Raw    // their values' encodings; nil where a row skips one
}

// IsObject reports whether the element is an object.
func (e *Elem) IsObject() bool { return e.object }

// Field returns the encoding of an object's value of key, if it has one
// (the last, should the key come twice, as Decode keeps).
func (e *Elem) Field(key string) (Raw, bool) {
	for i := len(e.keys) - 1; i >= 0; i-- {
		if e.keys[i] == key && e.vals[i] != nil {
			return e.vals[i], true
		}
	}
	return nil, false
}

// Decode decodes the element whole, as Decode gives it.
func (e *Elem) Decode() (any, error) {
	if e.raw != nil {
		return Decode(e.raw)
	}
	m := make(map[string]any, len(e.keys))
	for i, k := range e.keys {
		if e.vals[i] == nil {
			continue
		}
		v, err := Decode(e.vals[i])
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// Int returns the value r encodes when it is an integer.
func (r Raw) Int() (int64, bool) {
	if len(r) < 1 {
		return 0, false
	}
	size := intSize(r[0])
	if size == 0 || len(r) != 1+size {
		return 0, false
	}
	return intValue(size, r[1:]), true
}

// Bool returns the value r encodes when it is a boolean.
func (r Raw) Bool() (v, ok bool) {
	if len(r) == 1 && (r[0] == typeTrue || r[0] == typeFalse) {
		return r[0] == typeTrue, true
	}
	return false, false
}

// Bytes returns the bytes of the string r encodes, of either kind: a view
// of r, not a copy.
func (r Raw) Bytes() ([]byte, bool) {
	if len(r) < 2 || r[0] != typeBytes && r[0] != typeUTF8 {
		return nil, false
	}
	size := intSize(r[1])
	if size == 0 || len(r) < 2+size || intValue(size, r[2:]) != int64(len(r)-2-size) {
		return nil, false
	}
	return r[2+size:], true
}

// elem checks the value at d.pos, an element of a list at depth, and
// leaves it in e: an object field by field, anything else whole.
func (d *decoder) elem(e *Elem, depth int) error {
	start := d.pos
	e.object, e.raw, e.keys, e.vals = false, nil, e.keys[:0], e.vals[:0]
	if d.left() < 1 || d.data[d.pos] != typeObject {
		raw, err := d.deferred(depth)
		e.raw = raw
		return err
	}
	d.pos++
	if err := d.checkDepth(depth + 1); err != nil {
		return err
	}
	n, err := d.count("object size", 4)
	if err != nil {
		return err
	}
	for range n {
		k, err := d.key()
		if err != nil {
			return err
		}
		v, err := d.deferred(depth + 1)
		if err != nil {
			return err
		}
		e.keys, e.vals = append(e.keys, k), append(e.vals, v)
	}
	e.object, e.raw = true, Raw(d.data[start:d.pos:d.pos])
	return nil
}

// row checks one object of a template at depth and leaves its values in
// e, whose keys are the template's field names.
func (d *decoder) row(e *Elem, depth int) error {
	for i := range e.keys {
		e.vals[i] = nil
		if d.left() >= 1 && d.data[d.pos] == typeSkip {
			d.pos++
			continue
		}
		v, err := d.deferred(depth)
		if err != nil {
			return err
		}
		e.vals[i] = v
	}
	return nil
}

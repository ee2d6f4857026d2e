package bser

// Raw is an encoded value, checked but not decoded: what DecodeDeferring
// leaves under its key, or an Elem's field. It is a slice of the data it
// was found in, valid as long as that data is.
type Raw []byte

// DecodeDeferring is Decode, except that when the value is an object, the
// value of key in it is checked but not decoded: it comes back as a Raw,
// for Each to decode one element at a time. Watchman lists files under one
// key, a whole tree's worth in a first crawl's reply; decoded at once, each
// file becomes a map of its own, a few tens of bytes received becoming
// hundreds held.
func DecodeDeferring(data []byte, key string) (any, error) {
	return decoder{data: data, deferKey: key}.whole()
}

// IsList reports whether r encodes an array, plainly or as a template.
func (r Raw) IsList() bool {
	return len(r) > 0 && (r[0] == typeArray || r[0] == typeTemplate)
}

// Each decodes r, a list (IsList), one element at a time, and calls fn with
// each until fn returns an error, which Each returns. Only the element
// being handed over is built: what fn does not keep is garbage at once.
// The objects of a template are decoded into one map, cleared between
// elements: fn must not keep it (its values it may).
func (r Raw) Each(fn func(v any) error) error {
	d := decoder{data: r}
	if !r.IsList() {
		return d.errorf(nil, "not a list")
	}
	d.pos++
	if r[0] == typeArray {
		n, err := d.count("array length", 1)
		if err != nil {
			return err
		}
		for range n {
			v, err := d.value(1)
			if err != nil {
				return err
			}
			if err := fn(v); err != nil {
				return err
			}
		}
	} else {
		keys, n, err := d.templateHeader(1)
		if err != nil {
			return err
		}
		m := make(map[string]any, len(keys))
		for range n {
			clear(m)
			if err := d.templateRowInto(m, keys, 1); err != nil {
				return err
			}
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	if d.pos != len(r) {
		return d.errorf(nil, "%d bytes after the list", len(r)-d.pos)
	}
	return nil
}

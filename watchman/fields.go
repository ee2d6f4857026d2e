package watchman

import (
	"fmt"

	"github.com/autoreload/autoreload/watchman/bser"
)

// fileFields is one files entry, read field by field with the field's type:
// decoded (mapFields: JSON, and notifications) or still encoded (elemFields:
// a catch-up reply read from the socket), where an entry looked at and
// dropped then costs no allocation. A field present with another type is an
// error naming it.
type fileFields interface {
	// name is the entry's name, which it must have, as a non-empty string.
	name() (string, error)
	boolField(key string) (v, present bool, err error)
	// intField is 0 when the field is absent.
	intField(key string) (int64, error)
}

// notObject is the error of a files entry that is not an object.
func notObject(v any) error {
	return fmt.Errorf("a files entry is %s, not an object", kindOf(v))
}

// eachElem hands fn a files entry read from the socket (readBSEREach).
func eachElem(fn func(fileFields) error) func(*bser.Elem) error {
	return func(e *bser.Elem) error {
		if !e.IsObject() {
			v, _ := e.Decode()
			return notObject(v)
		}
		return fn(elemFields{e})
	}
}

// filesLeft hands fn the entries of a reply's "files" that were not handed
// over as they were read (a JSON reply's), and fails as eachFile does when
// the reply has no files list.
func filesLeft(pdu response, fn func(fileFields) error) error {
	if _, ok := pdu["files"].(bser.Listed); ok {
		return nil
	}
	return eachFile(pdu["files"], func(f map[string]any) error { return fn(mapFields(f)) })
}

type mapFields map[string]any

func (f mapFields) name() (string, error) {
	name, ok := f["name"].(string)
	if !ok || name == "" {
		return "", fmt.Errorf("file entry without a name: %v", f["name"])
	}
	return name, nil
}

func (f mapFields) boolField(key string) (bool, bool, error) {
	_, present := f[key]
	v, err := boolField(f, key)
	return v, present, err
}

func (f mapFields) intField(key string) (int64, error) { return intField(f, key) }

type elemFields struct{ e *bser.Elem }

func (f elemFields) name() (string, error) {
	raw, _ := f.e.Field("name")
	b, ok := raw.Bytes()
	if !ok || len(b) == 0 {
		var v any
		if raw != nil {
			v, _ = bser.Decode(raw)
		}
		return "", fmt.Errorf("file entry without a name: %v", v)
	}
	return string(b), nil
}

func (f elemFields) boolField(key string) (bool, bool, error) {
	raw, present := f.e.Field(key)
	if !present {
		return false, false, nil
	}
	v, ok := raw.Bool()
	if !ok {
		return false, true, fmt.Errorf("field %q is %s, not a boolean", key, kindOf(raw))
	}
	return v, true, nil
}

func (f elemFields) intField(key string) (int64, error) {
	raw, present := f.e.Field(key)
	if !present {
		return 0, nil
	}
	n, ok := raw.Int()
	if !ok {
		return 0, fmt.Errorf("field %q is %s, not an integer", key, kindOf(raw))
	}
	return n, nil
}

package watchman

import (
	"encoding/json"
	"fmt"

	"github.com/autoreload/autoreload/watchman/bser"
)

// maxReply caps one reply, a JSON line or a BSER PDU. A fresh-instance
// notification lists every file of the root (about 150 bytes each with our
// fields in JSON, fewer in BSER), so the cap allows a few hundred thousand
// files; beyond it the daemon is treated as unavailable rather than letting
// it grow our memory without bound.
const maxReply = 64 << 20

var errReplyTooLong = fmt.Errorf("reply longer than %d bytes", maxReply)

// pduOf checks a decoded reply, JSON or BSER: it must be an object, and an
// "error" field makes it a *CommandError; any other defect is a protocol
// error. It never panics.
func pduOf(v any) (response, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode reply: %s, not an object", kindOf(v))
	}
	pdu := response(m)
	if e, ok := pdu["error"]; ok {
		msg, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("decode reply: error field is %s, not a string", kindOf(e))
		}
		return pdu, &CommandError{Msg: msg}
	}
	return pdu, nil
}

// kindOf names a decoded value's kind the same way for both encodings.
func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, int64, float64:
		return "a number"
	case bser.Listed:
		return "a list"
	case bser.Raw:
		if v.IsList() {
			return "a list"
		}
		d, err := bser.Decode(v)
		if err != nil {
			return "a malformed value"
		}
		return kindOf(d)
	}
	return fmt.Sprintf("%T", v)
}

// stringField returns a field that must be a string when present.
func stringField(pdu response, key string) (string, bool, error) {
	v, ok := pdu[key]
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", true, fmt.Errorf("field %q is %s, not a string", key, kindOf(v))
	}
	return s, true, nil
}

// boolField returns a field that must be a boolean when present.
func boolField(m map[string]any, key string) (bool, error) {
	v, ok := m[key]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("field %q is %s, not a boolean", key, kindOf(v))
	}
	return b, nil
}

// eachFile calls fn with each entry of a reply's "files", which must be a
// list of objects: decoded already (JSON), or left encoded (BSER, see
// readBSER) and decoded here one entry at a time. It stops at fn's first
// error.
func eachFile(files any, fn func(map[string]any) error) error {
	visit := func(e any) error {
		f, ok := e.(map[string]any)
		if !ok {
			return notObject(e)
		}
		return fn(f)
	}
	switch list := files.(type) {
	case []any:
		for _, e := range list {
			if err := visit(e); err != nil {
				return err
			}
		}
		return nil
	case bser.Raw:
		if list.IsList() {
			return list.Each(visit)
		}
	}
	return fmt.Errorf("files is %s, not a list", kindOf(files))
}

// isList reports whether a reply's "files" is a list, decoded or not.
func isList(files any) bool {
	switch list := files.(type) {
	case []any:
		return true
	case bser.Raw:
		return list.IsList()
	}
	return false
}

// intField returns a field that must be an integer when present.
func intField(m map[string]any, key string) (int64, error) {
	v, ok := m[key]
	if !ok {
		return 0, nil
	}
	switch n := v.(type) {
	case int64: // BSER
		return n, nil
	case json.Number: // JSON
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("field %q: %w", key, err)
		}
		return i, nil
	}
	return 0, fmt.Errorf("field %q is %s, not an integer", key, kindOf(v))
}

package watchman

import (
	"encoding/json"
	"fmt"
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
	switch v.(type) {
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

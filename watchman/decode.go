package watchman

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sjansen/watchman/protocol"
)

// maxReply caps one reply line. A fresh-instance notification lists every
// file of the root (about 150 bytes each with our fields), so the cap allows
// a few hundred thousand files; beyond it the daemon is treated as
// unavailable rather than letting it grow our memory without bound.
const maxReply = 64 << 20

var errReplyTooLong = fmt.Errorf("reply longer than %d bytes", maxReply)

// readLine returns the next newline-terminated line without the newline,
// refusing lines longer than max. Long lines are assembled in buf, which is
// returned for reuse; the line is valid until the next call.
func readLine(r *bufio.Reader, buf []byte, max int) (line, grown []byte, err error) {
	buf = buf[:0]
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > max+1 {
			return nil, buf, errReplyTooLong
		}
		switch {
		case err == nil:
			if len(buf) == 0 {
				return chunk[:len(chunk)-1], buf, nil // r's own buffer: no copy
			}
			buf = append(buf, chunk...)
			return buf[:len(buf)-1], buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			buf = append(buf, chunk...)
		case errors.Is(err, io.EOF) && len(buf)+len(chunk) > 0:
			return nil, buf, io.ErrUnexpectedEOF // a truncated line
		default:
			return nil, buf, err
		}
	}
}

// decodePDU decodes one reply line. Numbers stay json.Number so mtime_ns
// (about 1.8e18) keeps its nanoseconds. An "error" field becomes a
// *CommandError; any other defect is a protocol error. It never panics.
func decodePDU(line []byte) (protocol.ResponsePDU, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var pdu protocol.ResponsePDU
	if err := dec.Decode(&pdu); err != nil {
		return nil, fmt.Errorf("decode reply: %w", err)
	}
	if pdu == nil {
		return nil, errors.New("decode reply: not an object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode reply: trailing data after the object")
	}
	if e, ok := pdu["error"]; ok {
		msg, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("decode reply: error field is %T, not a string", e)
		}
		return pdu, &CommandError{Msg: msg}
	}
	return pdu, nil
}

// translate runs one of the protocol package's translators, turning its
// panics (it asserts element types without checking) into errors.
func translate[T any](pdu protocol.ResponsePDU, fn func(protocol.ResponsePDU) T) (res T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed reply: %v", p)
		}
	}()
	return fn(pdu), nil
}

// stringField returns a field that must be a string when present.
func stringField(pdu protocol.ResponsePDU, key string) (string, bool, error) {
	v, ok := pdu[key]
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", true, fmt.Errorf("field %q is %T, not a string", key, v)
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
		return false, fmt.Errorf("field %q is %T, not a boolean", key, v)
	}
	return b, nil
}

// intField returns a field that must be an integer when present.
func intField(m map[string]any, key string) (int64, error) {
	v, ok := m[key]
	if !ok {
		return 0, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("field %q is %T, not a number", key, v)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("field %q: %w", key, err)
	}
	return i, nil
}

// Package bser encodes and decodes BSER, the binary serialisation Watchman
// speaks besides JSON, in its two versions: v1, and v2, which carries a
// capabilities word in its header and tells UTF-8 strings from byte strings.
//
// Guarantees: a byte string decodes to a Go string holding exactly the bytes
// sent (file names are bytes, never repaired or replaced); values decode to
// the shapes encoding/json gives an any (map[string]any, []any, string, bool,
// nil, float64) except integers, which are int64; Read refuses a PDU whose
// length prefix exceeds its limit before reading anything more; malformed
// input of any kind is an error, never a panic, and nesting is bounded by
// MaxDepth. Integers travel in host byte order, as Watchman writes them.
// DecodeDeferring leaves one list of a reply encoded, checked, for Raw.Each
// to decode an element at a time: a whole tree's files, held as a few tens
// of bytes each rather than a map each. ReadEach goes further: it decodes a
// PDU as it is read and hands that list's elements over one at a time, left
// encoded (Elem, its fields typed by Raw's Int, Bool and Bytes), holding
// neither the list nor the body.
package bser

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the BSER protocol version of a PDU.
type Version byte

const (
	V1 Version = 1
	V2 Version = 2
)

// Capabilities is the v2 header's capability word. Watchman echoes the
// client's; the two bits defined so far only ask a client library not to
// decode strings as text, which this package never does.
type Capabilities uint32

// Type bytes of encoded values.
const (
	typeArray    = 0x00
	typeObject   = 0x01
	typeBytes    = 0x02
	typeInt8     = 0x03
	typeInt16    = 0x04
	typeInt32    = 0x05
	typeInt64    = 0x06
	typeReal     = 0x07
	typeTrue     = 0x08
	typeFalse    = 0x09
	typeNull     = 0x0a
	typeTemplate = 0x0b
	typeSkip     = 0x0c
	typeUTF8     = 0x0d
)

// intSize is the number of bytes after an integer's type byte t; 0 when t
// is not an integer type.
func intSize(t byte) int {
	switch t {
	case typeInt8:
		return 1
	case typeInt16:
		return 2
	case typeInt32:
		return 4
	case typeInt64:
		return 8
	}
	return 0
}

// intValue decodes an integer of size bytes (1, 2, 4 or 8) from b.
func intValue(size int, b []byte) int64 {
	switch size {
	case 1:
		return int64(int8(b[0]))
	case 2:
		return int64(int16(binary.NativeEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.NativeEndian.Uint32(b)))
	}
	return int64(binary.NativeEndian.Uint64(b))
}

// MaxDepth bounds the nesting of arrays, objects and templates, so hostile
// input cannot exhaust the stack. Watchman's replies nest a few levels.
const MaxDepth = 100

// ErrTooLarge is the category of Read's *TooLargeError.
var ErrTooLarge = errors.New("bser: PDU larger than the limit")

// TooLargeError reports a PDU whose length prefix exceeds Read's limit.
type TooLargeError struct {
	Length int64 // as announced
	Max    int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("bser: PDU of %d bytes, over the limit of %d", e.Length, e.Max)
}

// Is makes every TooLargeError match ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// SyntaxError reports malformed input at a byte offset of the value. Err is
// io.ErrUnexpectedEOF when the input ends too early.
type SyntaxError struct {
	Offset int
	Msg    string
	Err    error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("bser: offset %d: %s", e.Offset, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

package bser

import (
	"errors"
	"fmt"
	"io"
)

// Listed stands, in the object ReadEach returns, for the list it handed
// over one element at a time: N elements.
type Listed struct{ N int }

// readWindow is the size ReadEach reads a body in. An element larger than
// that (a file name of a few kilobytes would not be) grows the window to
// fit it.
const readWindow = 64 << 10

// ReadEach is Read and DecodeDeferring in one pass, for a PDU too large to
// hold: it decodes the value as its bytes arrive from r, reading the body
// through a window of modest size, never whole. When the value is an object
// and key holds a list in it, each element of the list is checked and
// handed to fn as an Elem, left encoded (fn must not keep it), and the
// list's place in the object holds a Listed. A whole tree's files thus
// cost what fn keeps of them.
//
// Errors: Read's for the header (a *TooLargeError above max, before the
// body is read) and for a body cut short (a read error, wrapping
// io.ErrUnexpectedEOF at EOF); a *SyntaxError for a value that does not
// decode, as Decode's; fn's first error, as it is. After the last two the
// rest of the body is read and dropped, so that r is left at the end of
// the PDU as after a success. key twice in the object is a syntax error:
// its two lists would be handed over as one.
func ReadEach(r io.Reader, max int, key string, fn func(e *Elem) error) (Header, any, error) {
	return readEach(r, max, key, fn, readWindow)
}

func readEach(r io.Reader, max int, key string, fn func(e *Elem) error, window int) (Header, any, error) {
	h, err := readHeader(r, max)
	if err != nil {
		return h, nil, err
	}
	s := &stream{r: r, length: h.Length, unread: h.Length, window: window, fn: fn}
	s.d.unread = s.unread
	v, err := s.value(key)
	if err == nil && s.d.left()+s.unread > 0 {
		err = s.d.errorf(nil, "%d bytes after the value", s.d.left()+s.unread)
	}
	if err != nil {
		if s.readErr == nil {
			// Any error of the drain is the next read's to report.
			io.CopyN(io.Discard, r, int64(s.unread))
		}
		return h, nil, err
	}
	return h, v, nil
}

// stream decodes a body from a window on it: d.data holds the bytes read
// and not yet decoded, from d.pos on.
type stream struct {
	r              io.Reader
	d              decoder
	buf            []byte
	length, unread int // of the body, the bytes not yet read
	window         int
	fn             func(e *Elem) error
	readErr        error // reading the body failed: nothing more to drain
}

// step runs f on the window, reading more of the body whenever f fails
// for want of bytes the body still holds, and running it again from where
// it started: f must leave nothing behind that a second run would double.
func (s *stream) step(f func(d *decoder) error) error {
	for {
		at := s.d.pos
		s.d.short = false
		err := f(&s.d)
		if err == nil || !s.d.short || s.unread == 0 {
			return err
		}
		s.d.pos = at
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// fill moves the bytes not yet decoded to the window's start and reads
// after them as many as fit, first doubling the window when they fill it.
func (s *stream) fill() error {
	d := &s.d
	rest := d.data[d.pos:]
	if len(rest) == len(s.buf) {
		s.buf = make([]byte, min(max(2*len(s.buf), s.window), len(rest)+s.unread))
	}
	d.base += d.pos
	n := copy(s.buf, rest)
	m, err := io.ReadFull(s.r, s.buf[n:n+min(len(s.buf)-n, s.unread)])
	s.unread -= m
	d.data, d.pos, d.unread = s.buf[:n+m], 0, s.unread
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.readErr = fmt.Errorf("bser: PDU body (%d of %d bytes): %w", s.length-s.unread, s.length, err)
		return s.readErr
	}
	return nil
}

// value decodes the body's value, handing key's list over if it has one.
// The nesting depths are Decode's.
func (s *stream) value(key string) (any, error) {
	object := false
	n := 0
	err := s.step(func(d *decoder) (err error) {
		if d.left() < 1 {
			return d.truncated("a value")
		}
		if object = d.data[d.pos] == typeObject; object {
			d.pos++
			n, err = d.count("object size", 4)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !object {
		return s.decode(0)
	}
	m := make(map[string]any, min(n, 16)) // n is not read yet
	for range n {
		var k string
		if err := s.step(func(d *decoder) (err error) { k, err = d.key(); return err }); err != nil {
			return nil, err
		}
		var v any
		if k == key {
			if _, ok := m[k]; ok {
				return nil, s.d.errorf(nil, "key %q twice", k)
			}
			v, err = s.list()
		} else {
			v, err = s.decode(1)
		}
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// decode decodes the next value whole.
func (s *stream) decode(depth int) (v any, err error) {
	err = s.step(func(d *decoder) (err error) { v, err = d.value(depth); return err })
	return v, err
}

// list hands the elements of the list next over to fn and returns a
// Listed; a value that is not a list, it returns decoded.
func (s *stream) list() (any, error) {
	var t byte
	var n int
	var keys []string
	err := s.step(func(d *decoder) (err error) {
		if d.left() < 1 {
			return d.truncated("a value")
		}
		switch t = d.data[d.pos]; t {
		case typeArray:
			d.pos++
			if err = d.checkDepth(2); err == nil {
				n, err = d.count("array length", 1)
			}
		case typeTemplate:
			d.pos++
			keys, n, err = d.templateHeader(2)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch t {
	case typeArray:
		e := &Elem{}
		for range n {
			if err := s.step(func(d *decoder) error { return d.elem(e, 2) }); err != nil {
				return nil, err
			}
			if err := s.fn(e); err != nil {
				return nil, err
			}
		}
	case typeTemplate:
		e := &Elem{object: true, keys: keys, vals: make([]Raw, len(keys))}
		for range n {
			if err := s.step(func(d *decoder) error { return d.row(e, 2) }); err != nil {
				return nil, err
			}
			if err := s.fn(e); err != nil {
				return nil, err
			}
		}
	default:
		return s.decode(1)
	}
	return Listed{N: n}, nil
}

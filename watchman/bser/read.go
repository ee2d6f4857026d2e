package bser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Header is what precedes a PDU's value: the version, v2's capability word,
// and the length of the value in bytes.
type Header struct {
	Version      Version
	Capabilities Capabilities
	Length       int
}

// Magic bytes open every PDU: a zero byte (never the first byte of a JSON
// reply), then the version.
const magic0 = 0x00

// growStep is the largest body allocated up front on the length prefix's
// word alone; a longer body grows as its bytes arrive, so a peer announcing
// 64 MiB and sending nothing costs nothing.
const growStep = 1 << 20

// Read reads one PDU from r and returns its header and its value's bytes,
// to be decoded with Decode. It reads nothing beyond the PDU. A length
// prefix above max is refused before anything more is read (a
// *TooLargeError, matching ErrTooLarge). buf is reused for the body when it
// is large enough. A PDU cut short gives an error wrapping
// io.ErrUnexpectedEOF; an EOF before its first byte gives io.EOF itself.
func Read(r io.Reader, max int, buf []byte) (Header, []byte, error) {
	h, err := readHeader(r, max)
	if err != nil {
		return h, nil, err
	}
	body, err := readBody(r, h.Length, buf)
	return h, body, err
}

// readHeader reads a PDU's header, refusing a length above max.
func readHeader(r io.Reader, max int) (Header, error) {
	var h Header
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:2]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return h, fmt.Errorf("bser: PDU header: %w", err)
		}
		return h, err
	}
	if hdr[0] != magic0 || (hdr[1] != byte(V1) && hdr[1] != byte(V2)) {
		return h, fmt.Errorf("bser: bad magic %q", hdr[:2])
	}
	h.Version = Version(hdr[1])
	if h.Version == V2 {
		if err := readFull(r, hdr[:4], "capabilities"); err != nil {
			return h, err
		}
		h.Capabilities = Capabilities(binary.NativeEndian.Uint32(hdr[:4]))
	}
	n, err := readLength(r, hdr[:])
	if err != nil {
		return h, err
	}
	if n > int64(max) {
		return h, &TooLargeError{Length: n, Max: max}
	}
	h.Length = int(n)
	return h, nil
}

func readFull(r io.Reader, b []byte, what string) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("bser: PDU %s: %w", what, err)
	}
	return nil
}

// readLength reads the encoded integer giving the value's length.
func readLength(r io.Reader, scratch []byte) (int64, error) {
	if err := readFull(r, scratch[:1], "length"); err != nil {
		return 0, err
	}
	size := intSize(scratch[0])
	if size == 0 {
		return 0, fmt.Errorf("bser: PDU length of type 0x%02x, not an integer", scratch[0])
	}
	if err := readFull(r, scratch[:size], "length"); err != nil {
		return 0, err
	}
	n := intValue(size, scratch)
	if n <= 0 {
		return 0, fmt.Errorf("bser: PDU length %d", n)
	}
	return n, nil
}

// readBody reads exactly n bytes into buf or, when buf is too small, into a
// buffer that grows with what actually arrives: to four times what it
// holds, so that a body of a few MiB (a whole tree's files) is copied once
// or twice, not once per doubling, each copy garbage of its own size.
func readBody(r io.Reader, n int, buf []byte) ([]byte, error) {
	if cap(buf) < n {
		buf = make([]byte, 0, min(n, max(growStep, cap(buf))))
	}
	b := buf[:0]
	for len(b) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, 4*cap(b)))
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):min(n, cap(b))])
		b = b[:len(b)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("bser: PDU body (%d of %d bytes): %w", len(b), n, err)
		}
	}
	return b, nil
}

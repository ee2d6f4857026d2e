package bser

import (
	"fmt"
	"io"
)

// DecodePDU decodes a whole PDU held in memory, header included: the form
// of the golden files and of the fuzz corpus. Only the tests need it (the
// client reads PDUs from its socket with Read).
func DecodePDU(pdu []byte, max int) (any, Header, error) {
	r := &sliceReader{b: pdu}
	h, body, err := Read(r, max, nil)
	if err != nil {
		return nil, h, err
	}
	if len(r.b) != 0 {
		return nil, h, fmt.Errorf("bser: %d bytes after the PDU", len(r.b))
	}
	v, err := Decode(body)
	return v, h, err
}

// sliceReader is bytes.Reader without the seeking: the smallest io.Reader
// over a slice.
type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

package watchman

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/autoreload/autoreload/watchman/bser"
)

// encoding is what a connection speaks. Every connection starts in JSON
// (the capability check); one whose daemon lists bser-v2 switches to BSER
// v2, which carries any file name (4.9 cannot send a name that is not UTF-8
// in JSON: the reply never comes) and costs less to decode.
type encoding int

const (
	encJSON encoding = iota
	encBSER
)

func (e encoding) String() string {
	if e == encBSER {
		return "bser-v2"
	}
	return "json"
}

// errMalformed marks a reply that arrived whole but does not decode.
var errMalformed = errors.New("malformed reply")

// keptBuffer is the largest read buffer a connection keeps between replies:
// enough for everyday notifications, while a fresh instance's large list is
// let go as soon as it is decoded.
const keptBuffer = 1 << 20

// encodeRequest encodes one request's arguments in e.
func encodeRequest(e encoding, args []any) ([]byte, error) {
	if e == encBSER {
		return bser.Encode(args, bser.V2, 0)
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// readBSER reads and decodes one BSER PDU of at most max bytes, reusing
// *buf for small bodies. Its "files" stay encoded, a bser.Raw that
// eachFile decodes one entry at a time: a fresh instance's notification
// lists a whole tree, and decoded at once, 100,000 files took some 50 MiB.
// (The catch-up query's reply, which lists one after a checkout, is not
// even held: see readBSEREach.) The rest of the body is dropped after decoding
// (strings are copied out of it), and the files with it unless the body
// is small enough to be kept for the next read, when they are copied out.
func readBSER(r io.Reader, max int, buf *[]byte) (any, error) {
	_, body, err := bser.Read(r, max, *buf)
	if err != nil {
		return nil, readError(err)
	}
	v, err := bser.DecodeDeferring(body, "files")
	if err != nil {
		// A value cut short inside a whole PDU is the daemon's defect, not
		// a connection cut short.
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if cap(body) <= keptBuffer {
		if m, ok := v.(map[string]any); ok {
			if raw, ok := m["files"].(bser.Raw); ok {
				m["files"] = bser.Raw(bytes.Clone(raw))
			}
		}
		*buf = body
	}
	return v, nil
}

// readBSEREach reads one BSER PDU of at most max bytes as readBSER does,
// except that the entries of its "files" go to each as they are decoded
// from r, and are not kept (bser.ReadEach): the reply to a catch-up query
// lists a whole tree when the tree was written in the second autoreload
// started, and its body of some 3.8 MB, held while it was decoded, made the
// heap peak at twice that. The files' place holds a bser.Listed. each's
// error comes back as it is, the rest of the PDU read and dropped.
func readBSEREach(r io.Reader, max int, each func(*bser.Elem) error) (any, error) {
	var eachErr error
	_, v, err := bser.ReadEach(r, max, "files", func(e *bser.Elem) error {
		eachErr = each(e)
		return eachErr
	})
	if err == nil || eachErr != nil {
		return v, err
	}
	if _, syntax := errors.AsType[*bser.SyntaxError](err); syntax {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil, readError(err)
}

// readError is a failure to read a BSER PDU, the cap's in our terms.
func readError(err error) error {
	if tl, ok := errors.AsType[*bser.TooLargeError](err); ok {
		return fmt.Errorf("%w: a BSER PDU of %d", errReplyTooLong, tl.Length)
	}
	return err
}

// readJSON decodes one newline-terminated JSON reply of at most max bytes
// straight from r: the decoder's buffer is the only copy of the raw line
// (no line is assembled first). Numbers stay json.Number so mtime_ns (about
// 1.8e18) keeps its nanoseconds. Errors of the connection (a timeout, EOF,
// a line cut short by EOF, the cap) come back as they are; a line that does
// not decode is skipped to its end, so the next reply starts on a line of
// its own.
func readJSON(r *bufio.Reader, max int) (any, error) {
	lr := &lineReader{r: r, max: max}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return v, nil // the newline, nothing else
		}
		if err == nil {
			err = fmt.Errorf("%w: trailing data after the value", errMalformed)
		}
	}
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, errMalformed):
	case errors.Is(err, io.EOF) && lr.n > 0:
		err = fmt.Errorf("%w: an empty line", errMalformed)
	case errors.Is(err, io.ErrUnexpectedEOF) && lr.done:
		err = fmt.Errorf("%w: a line cut short", errMalformed)
	case errors.As(err, &syntax) || !isConnError(err):
		err = fmt.Errorf("%w: %w", errMalformed, err)
	}
	if errors.Is(err, errMalformed) {
		lr.skip()
	}
	return nil, err
}

// isConnError reports an error of the connection rather than of the bytes.
func isConnError(err error) bool {
	var pe *os.PathError // reading the socket's file failed
	return errors.As(err, &pe) || errors.Is(err, errReplyTooLong) || isDisconnect(err)
}

// lineReader reads one line from r, newline included, then reports EOF; it
// fails with errReplyTooLong past max bytes, having read no more than that.
type lineReader struct {
	r    *bufio.Reader
	max  int
	n    int
	done bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.r.Buffered() == 0 {
		if _, err := l.r.Peek(1); err != nil {
			if l.n > 0 && errors.Is(err, io.EOF) {
				return 0, io.ErrUnexpectedEOF // a line cut short
			}
			return 0, err
		}
	}
	avail, _ := l.r.Peek(l.r.Buffered())
	if i := bytes.IndexByte(avail, '\n'); i >= 0 {
		avail = avail[:i+1]
	}
	n := copy(p, avail)
	if l.n+n > l.max+1 {
		return 0, errReplyTooLong
	}
	l.r.Discard(n)
	l.n += n
	l.done = n > 0 && p[n-1] == '\n'
	return n, nil
}

// skip discards the rest of the line, within the same bound.
func (l *lineReader) skip() {
	var scratch [4096]byte
	for !l.done {
		if _, err := l.Read(scratch[:]); err != nil {
			return
		}
	}
}

// releaseMemory hands the memory of a refused or malformed reply back to
// the system at once: the runtime would otherwise keep the pages of the tens
// of megabytes it read for minutes, and such a reply is rare (it ends the
// connection).
func releaseMemory(err error) {
	if errors.Is(err, errReplyTooLong) || errors.Is(err, errMalformed) {
		debug.FreeOSMemory()
	}
}

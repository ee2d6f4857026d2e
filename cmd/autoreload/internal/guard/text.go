package guard

import (
	"bytes"
	"io"
)

// This package imports neither strings nor bufio (nor runtime/debug or
// golang.org/x/sys/unix): the guard runs from its initialisation (see
// init in main.go), and Go initialises a program's packages in
// import-path order as soon as their imports are, so an import that sorts
// late, such as strings, would have the guard wait for every package
// ready before it (log, encoding/json, go-toml…), whose initialisation
// touches pages that then stay in every guard's memory: 300 KiB of its
// peak RSS. TestGuardImportsNothingLate keeps it so. The few helpers
// below stand in.

// cut is strings.Cut for a one-byte separator.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := range len(s) {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// hasPrefix is strings.HasPrefix.
func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// chomp removes one trailing newline.
func chomp(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\n' {
		return s[:len(s)-1]
	}
	return s
}

// lineReader is the part of bufio.Reader the protocol needs: lines, then
// the rest of the stream.
type lineReader struct {
	r    io.Reader
	buf  []byte // read from r, not yet returned
	read [512]byte
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: r} }

// ReadString returns the next line, delim included; at an error, what
// came before it, and the error.
func (l *lineReader) ReadString(delim byte) (string, error) {
	for {
		if i := bytes.IndexByte(l.buf, delim); i >= 0 {
			line := string(l.buf[:i+1])
			l.buf = l.buf[i+1:]
			return line, nil
		}
		n, err := l.r.Read(l.read[:])
		l.buf = append(l.buf, l.read[:n]...)
		if err != nil {
			line := string(l.buf)
			l.buf = nil
			return line, err
		}
	}
}

// Read returns what ReadString read ahead, then reads on.
func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.buf) > 0 {
		n := copy(p, l.buf)
		l.buf = l.buf[n:]
		return n, nil
	}
	return l.r.Read(p)
}

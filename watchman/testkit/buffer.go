package testkit

import (
	"bytes"
	"sync"
)

// Buffer collects what goroutines write (a logger's lines, a process's
// stderr) for a test to read meanwhile. The zero value is ready.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// OnWrite, when set, sees every write, after it is kept.
	OnWrite func(s string)
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	if b.OnWrite != nil {
		b.OnWrite(string(p))
	}
	return n, err
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

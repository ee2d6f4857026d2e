package testkit

import (
	"bytes"
	"os"
	"sync"
)

// Drain reads a pseudo-terminal's master side as output comes, so that
// nothing writing to the terminal blocks on it, and returns a function
// that tells what it showed, for failure messages.
func Drain(master *os.File) func() string {
	var mu sync.Mutex
	var buf bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return "terminal output:\n" + buf.String()
	}
}

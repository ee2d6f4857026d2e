package watchmantest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/autoreload/autoreload/watchman/bser"
)

// CrawlHold is a socket in front of a Daemon that passes everything through
// but holds each watch-project request back until Release: to a client it
// is a daemon whose first crawl goes on and on, while it still answers
// health requests. Fault injection only; the daemon behind it is real.
type CrawlHold struct {
	Sock string // connect here instead of to the daemon's socket

	d       *Daemon
	ln      net.Listener
	release chan struct{}
	held    chan struct{} // receives when a watch-project is held back
	once    sync.Once
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

// HoldCrawls starts a CrawlHold in front of d, closed when the test ends.
func (d *Daemon) HoldCrawls(t testing.TB) *CrawlHold {
	t.Helper()
	h := &CrawlHold{Sock: filepath.Join(d.Dir, "held"), d: d, release: make(chan struct{}), held: make(chan struct{}, 1)}
	var err error
	if h.ln, err = net.Listen("unix", h.Sock); err != nil {
		t.Fatalf("watchmantest: %v", err)
	}
	t.Cleanup(h.close)
	h.wg.Add(1)
	go h.serve()
	return h
}

// Release lets the held watch-project requests, and every later one, through:
// the crawl is over.
func (h *CrawlHold) Release() { h.once.Do(func() { close(h.release) }) }

// Held receives when a watch-project request is held back (before
// Release): the client is waiting for its crawl from then on.
func (h *CrawlHold) Held() <-chan struct{} { return h.held }

func (h *CrawlHold) close() {
	h.ln.Close()
	h.Release()
	h.mu.Lock()
	for _, c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
	os.Remove(h.Sock)
}

func (h *CrawlHold) serve() {
	defer h.wg.Done()
	for {
		client, err := h.ln.Accept()
		if err != nil {
			return
		}
		daemon, err := net.Dial("unix", h.d.Sock)
		if err != nil {
			client.Close() // the daemon is down: so is the hold
			continue
		}
		h.mu.Lock()
		h.conns = append(h.conns, client, daemon)
		h.mu.Unlock()
		h.wg.Add(2)
		go func() {
			defer h.wg.Done()
			io.Copy(client, daemon)
			client.Close()
		}()
		go func() {
			defer h.wg.Done()
			h.forward(client, daemon)
			daemon.Close()
		}()
	}
}

// forward copies the client's requests one at a time, JSON lines or BSER
// PDUs, holding a watch-project back until Release.
func (h *CrawlHold) forward(client, daemon net.Conn) {
	r := bufio.NewReader(client)
	for {
		pdu, err := readPDU(r)
		if err != nil {
			return
		}
		if bytes.Contains(pdu, []byte("watch-project")) {
			select {
			case <-h.release:
			default:
				select {
				case h.held <- struct{}{}:
				default:
				}
				<-h.release
			}
		}
		if _, err := daemon.Write(pdu); err != nil {
			return
		}
	}
}

// readPDU reads one request: a BSER PDU (v1 or v2) or a JSON line.
func readPDU(r *bufio.Reader) ([]byte, error) {
	head, err := r.Peek(1)
	if err != nil {
		return nil, err
	}
	if head[0] != 0 {
		return r.ReadBytes('\n')
	}
	var pdu bytes.Buffer
	if _, _, err := bser.Read(io.TeeReader(r, &pdu), 1<<30, nil); err != nil {
		return nil, err
	}
	return pdu.Bytes(), nil
}

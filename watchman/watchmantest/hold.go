package watchmantest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/autoreload/autoreload/watchman/bser"
)

// CrawlHold is a socket in front of a Daemon that passes everything through
// but holds each watch-project request back until Release: to a client it
// is a daemon whose first crawl goes on and on, while it still answers
// health requests. Fault injection only; the daemon behind it is real.
type CrawlHold struct {
	Sock string // connect here instead of to the daemon's socket

	release chan struct{}
	held    chan struct{} // receives when a watch-project is held back
	once    sync.Once
}

// HoldCrawls starts a CrawlHold in front of d, closed when the test ends.
func (d *Daemon) HoldCrawls(t testing.TB) *CrawlHold {
	t.Helper()
	h := &CrawlHold{Sock: filepath.Join(d.Dir, "held"), release: make(chan struct{}), held: make(chan struct{}, 1)}
	p := d.startProxy(t, h.Sock, h.hold)
	t.Cleanup(func() {
		h.Release() // first: a held request would keep the proxy open
		p.close()
	})
	return h
}

// Release lets the held watch-project requests, and every later one, through:
// the crawl is over.
func (h *CrawlHold) Release() { h.once.Do(func() { close(h.release) }) }

// Held receives when a watch-project request is held back (before
// Release): the client is waiting for its crawl from then on.
func (h *CrawlHold) Held() <-chan struct{} { return h.held }

// hold holds a watch-project request back until Release.
func (h *CrawlHold) hold(req []byte) {
	if !bytes.Contains(req, []byte("watch-project")) {
		return
	}
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

// Handshakes is a socket in front of a Daemon that counts the availability
// checks (list-capabilities) clients make through it: a decision to use
// Watchman and the subscription that follows should cost one. Connect
// here instead of to the daemon's socket.
type Handshakes struct {
	Sock string
	n    atomic.Int64
}

// CountHandshakes starts a Handshakes in front of d, closed when the test
// ends.
func (d *Daemon) CountHandshakes(t testing.TB) *Handshakes {
	t.Helper()
	h := &Handshakes{Sock: filepath.Join(d.Dir, "handshakes")}
	p := d.startProxy(t, h.Sock, func(req []byte) {
		if bytes.Contains(req, []byte(`"list-capabilities"`)) { // always JSON: the first request
			h.n.Add(1)
		}
	})
	t.Cleanup(p.close)
	return h
}

// Count is how many list-capabilities requests went through so far.
func (h *Handshakes) Count() int { return int(h.n.Load()) }

// proxy is a socket in front of a daemon that passes every byte through,
// handing each request to inspect before it goes on (inspect may hold it
// back). A new connection through it is a new connection to the daemon,
// whichever process runs there now.
type proxy struct {
	sock    string
	d       *Daemon
	inspect func(req []byte)
	ln      net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

func (d *Daemon) startProxy(t testing.TB, sock string, inspect func([]byte)) *proxy {
	t.Helper()
	p := &proxy{sock: sock, d: d, inspect: inspect}
	var err error
	if p.ln, err = net.Listen("unix", sock); err != nil {
		t.Fatalf("watchmantest: %v", err)
	}
	p.wg.Add(1)
	go p.serve()
	return p
}

// close ends every connection through the proxy and its goroutines.
func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	os.Remove(p.sock)
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		daemon, err := net.Dial("unix", p.d.Sock)
		if err != nil {
			client.Close() // the daemon is down: so is the proxy
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, daemon)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(client, daemon)
			client.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.forward(client, daemon)
			daemon.Close()
		}()
	}
}

// forward copies the client's requests one at a time, JSON lines or BSER
// PDUs, each inspected first.
func (p *proxy) forward(client, daemon net.Conn) {
	r := bufio.NewReader(client)
	for {
		pdu, err := readPDU(r)
		if err != nil {
			return
		}
		p.inspect(pdu)
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

//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The restart-gap measure (issue 16): a small HTTP server (benchchild
// serve) under each tool, a client sending a request every gapEvery on a
// new connection, and gapRestarts restarts caused by edits; it counts the
// requests refused or reset while the server is replaced.

const (
	gapEvery    = 5 * time.Millisecond
	gapRestarts = 10
	gapTimeout  = 10 * time.Second // for one request, and for one restart
)

// gapTool is one row: how to run the server under a tool. status names
// the row of allTools whose install status applies.
type gapTool struct {
	name, slug, status string
	argv               func(c *config, tree, stamp, addr string) []string
	note               string
}

func gapTools() []*gapTool {
	server := func(c *config, stamp, addr string) []string {
		return []string{c.child, stamp, "serve", addr}
	}
	autoreload := func(socket bool) func(c *config, tree, stamp, addr string) []string {
		return func(c *config, tree, stamp, addr string) []string {
			argv := []string{c.autoreload, "--log-format", "json", "--reloader", "stat",
				"--poll-interval", "100ms", "-w", tree}
			if socket {
				argv = append(argv, "--socket", addr)
			}
			return append(append(argv, "--"), server(c, stamp, addr)...)
		}
	}
	gobin := func(c *config, name string) string { return filepath.Join(c.cache, "gobin", name) }
	return []*gapTool{
		{name: "autoreload --socket", slug: "autoreload-socket", status: "autoreload-stat", argv: autoreload(true),
			note: "the server takes the listening socket from LISTEN_FDS"},
		{name: "autoreload", slug: "autoreload", status: "autoreload-stat", argv: autoreload(false),
			note: "the server binds the port itself"},
		{name: "nodemon", slug: "nodemon", status: "nodemon",
			argv: func(c *config, tree, stamp, addr string) []string {
				return []string{filepath.Join(c.cache, "npm/node_modules/.bin/nodemon"),
					"--no-update-notifier", "-q", "-I", "-w", tree, "-e", "py",
					"-x", shellQuote(server(c, stamp, addr))}
			}},
		{name: "reflex -s", slug: "reflex", status: "reflex",
			argv: func(c *config, tree, stamp, addr string) []string {
				argv := []string{gobin(c, "reflex"), "-s", "-d", "none", "-r", `\.py$`, "--"}
				return append(argv, server(c, stamp, addr)...)
			}},
		{name: "air", slug: "air", status: "air",
			argv: func(c *config, tree, stamp, addr string) []string {
				return []string{gobin(c, "air"), "-root", tree,
					"-tmp_dir", filepath.Join(c.run, "gap", "air-tmp"),
					"-build.cmd", "true", "-build.bin", "", "-build.entrypoint", "",
					"-build.full_bin", shellQuote(server(c, stamp, addr)),
					"-build.include_ext", "py"}
			}},
	}
}

// gapResult is what the client saw under one tool.
type gapResult struct {
	requests, ok, refused, reset, other int
	restarts                            int
	slowest                             time.Duration // of the answered requests
	err                                 string
}

// runGap measures every available tool in turn and returns the report.
func (b *bench) runGap(tools []*tool, only string) string {
	status := map[string]*tool{}
	for _, t := range tools {
		status[t.slug] = t
	}
	var out strings.Builder
	fmt.Fprintf(&out, "## Restart gap\n\nA request every %v on a new connection while %d edits restart an HTTP server;"+
		" refused and reset requests are lost ones.\n\n", gapEvery, gapRestarts)
	out.WriteString("| tool | requests | answered | refused | reset | other errors | restarts | slowest answer | note |\n")
	out.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, g := range gapTools() {
		if only != "" && !slicesContains(strings.Split(only, ","), g.slug) {
			continue
		}
		st := status[g.status]
		if st != nil && st.unavailable != "" {
			fmt.Fprintf(&out, "| %s | | | | | | | | not available: %s |\n", g.name, st.unavailable)
			b.logf("gap: %s: not measured: %s", g.name, st.unavailable)
			continue
		}
		b.logf("gap: %s", g.name)
		r := b.gap(g)
		note := g.note
		if r.err != "" {
			note = strings.TrimPrefix(note+"; ", "; ") + "error: " + r.err
		}
		fmt.Fprintf(&out, "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n",
			g.name, r.requests, r.ok, r.refused, r.reset, r.other, r.restarts, ms(r.slowest), note)
		b.logf("gap: %s: %d requests, %d refused, %d reset, %d other, %d restarts", g.name,
			r.requests, r.refused, r.reset, r.other, r.restarts)
	}
	return out.String()
}

// gap runs g's server, hammers it through gapRestarts restarts and stops it.
func (b *bench) gap(g *gapTool) (r gapResult) {
	dir := filepath.Join(b.c.run, "gap", g.slug)
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		r.err = err.Error()
		return r
	}
	src := filepath.Join(tree, "app.py")
	if err := os.WriteFile(src, []byte("v = 0\n"), 0o644); err != nil {
		r.err = err.Error()
		return r
	}
	addr, err := freeAddr()
	if err != nil {
		r.err = err.Error()
		return r
	}
	stamp := filepath.Join(dir, "stamps")
	p, err := launch(spec{argv: g.argv(b.c, tree, stamp, addr), dir: tree, log: filepath.Join(dir, "log"),
		env: []string{"NO_UPDATE_NOTIFIER=1", "WATCHMAN_SOCK=" + filepath.Join(dir, "no-watchman.sock")}}, b.smp, b.c.child)
	if err != nil {
		r.err = err.Error()
		return r
	}
	defer p.stop(b.smp, 5*time.Second)
	if err := awaitStarts(p, stamp, 1, 60*time.Second); err != nil {
		r.err = "first start: " + err.Error()
		return r
	}
	if err := awaitAnswer(addr, 10*time.Second); err != nil {
		r.err = err.Error()
		return r
	}

	// A tool may set up its watches after it started the server: edit
	// until one restart shows it sees edits, before counting anything.
	seq := 0
	edit := func() error {
		seq++
		return os.WriteFile(src, []byte("v = "+strconv.Itoa(seq)+"\n"), 0o644)
	}
	for n := 2; ; {
		if err := edit(); err != nil {
			r.err = err.Error()
			return r
		}
		if awaitStarts(p, stamp, n, time.Second) == nil {
			break
		}
		if !p.running() || seq > 60 {
			r.err = "no restart after an edit: " + lastLine(p.log)
			return r
		}
	}
	if err := awaitAnswer(addr, 10*time.Second); err != nil {
		r.err = err.Error()
		return r
	}
	base := len(readStamps(stamp))

	cl := newGapClient(addr)
	for i := 1; i <= gapRestarts && r.err == ""; i++ {
		// Some tools let an edit right after a restart pass unseen
		// (nodemon): edit again until one restarts the server.
		deadline := time.Now().Add(gapTimeout)
		for {
			if err := edit(); err != nil {
				r.err = err.Error()
				break
			}
			err := awaitStarts(p, stamp, base+i, 2*time.Second)
			if err == nil {
				break
			}
			if !p.running() || time.Now().After(deadline) {
				r.err = fmt.Sprintf("restart %d: %v", i, err)
				break
			}
		}
		// Let the client meet the new server before the next edit, and
		// edit later than 500 ms after a start, as a person would: sooner
		// is a restart loop to autoreload, which backs off.
		time.Sleep(600 * time.Millisecond)
	}
	r = cl.stop(r)
	r.restarts = len(readStamps(stamp)) - base
	return r
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// awaitStarts waits for the n-th start of the server.
func awaitStarts(p *proc, stamp string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for len(readStamps(stamp)) < n {
		if !p.running() {
			return errors.New(p.failure())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no start %d within %v: %s", n, timeout, lastLine(p.log))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func awaitAnswer(addr string, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server does not answer on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gapClient sends a request every gapEvery, each on a connection of its
// own and in a goroutine of its own, so a slow answer delays no other.
type gapClient struct {
	http *http.Client
	url  string
	quit chan struct{}
	wg   sync.WaitGroup // the ticker and every request

	mu    sync.Mutex
	r     gapResult
	slows []time.Duration
}

func newGapClient(addr string) *gapClient {
	c := &gapClient{
		http: &http.Client{Timeout: gapTimeout, Transport: &http.Transport{DisableKeepAlives: true}},
		url:  "http://" + addr + "/", quit: make(chan struct{}),
	}
	c.wg.Go(func() {
		t := time.NewTicker(gapEvery)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-t.C:
				c.wg.Go(c.request)
			}
		}
	})
	return c
}

func (c *gapClient) request() {
	start := time.Now()
	resp, err := c.http.Get(c.url)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
	}
	took := time.Since(start)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.r.requests++
	switch {
	case err == nil:
		c.r.ok++
		c.slows = append(c.slows, took)
	case errors.Is(err, syscall.ECONNREFUSED):
		c.r.refused++
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		c.r.reset++
	default:
		c.r.other++
	}
}

// stop ends the ticking, waits for the requests in flight and adds the
// counts to r.
func (c *gapClient) stop(r gapResult) gapResult {
	close(c.quit)
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	r.requests, r.ok, r.refused, r.reset, r.other = c.r.requests, c.r.ok, c.r.refused, c.r.reset, c.r.other
	if len(c.slows) > 0 {
		r.slowest = slices.Max(c.slows)
	}
	return r
}

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// serve is a small HTTP server as a developer would write one: it takes its
// listener from the systemd protocol when it is given one (LISTEN_FDS=1 and
// LISTEN_PID its own pid), else binds addr itself; it stamps its start once
// it listens, answers every request with its pid, and on a stop signal
// finishes the requests in hand before it exits.
func serve(stampPath, addr string) int {
	l, err := listener(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		return 1
	}
	if err := stamp(stampPath, time.Now().UnixNano()); err != nil {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		return 1
	}
	pid := strconv.Itoa(os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(pid + "\n"))
	})}
	// On a stop signal: stop accepting, answer every connection accepted
	// so far, exit. Not Shutdown: it closes a connection accepted just
	// before whose request it has not read yet, unanswered
	// (golang/go#75591), which would count against every tool.
	var conns sync.WaitGroup
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateHijacked, http.StateClosed:
			conns.Done()
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		<-sigs
		srv.SetKeepAlivesEnabled(false)
		l.Close()
	}()
	if err := srv.Serve(l); !errors.Is(err, net.ErrClosed) {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		return 1
	}
	done := make(chan struct{})
	go func() { conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	return 0
}

func listener(addr string) (net.Listener, error) {
	if os.Getenv("LISTEN_FDS") == "1" && os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {
		f := os.NewFile(3, "listener")
		defer f.Close()
		return net.FileListener(f)
	}
	return net.Listen("tcp", addr)
}

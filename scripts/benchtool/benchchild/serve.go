package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// serve is a small HTTP server as a developer would write one: it takes its
// listener from the systemd protocol when it is given one (LISTEN_FDS=1 and
// LISTEN_PID its own pid), else binds addr itself; it stamps its start once
// it accepts, answers every request with its pid, and on the stop signal
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
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		<-sigs
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) // closes the listener, waits for requests in hand
		close(done)
	}()
	if err := srv.Serve(l); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		return 1
	}
	<-done
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

// Command benchchild is the program every tool under benchmark restarts. It
// appends "UNIX_NANOSECONDS PID" to a stamp file the moment it starts, so the
// harness reads the start time from the child itself rather than from a tool's
// log, then sleeps until a signal ends it. With "once" it exits right after
// stamping, for tools that run a command to completion instead of restarting
// a long-running one. With "serve ADDR" it is a small HTTP server for the
// restart-gap measure (serve.go).
//
// Usage: benchchild STAMPFILE [once | serve ADDR]
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	serving := len(os.Args) == 4 && os.Args[2] == "serve"
	if !serving && (len(os.Args) < 2 || len(os.Args) > 3 || (len(os.Args) == 3 && os.Args[2] != "once")) {
		fmt.Fprintln(os.Stderr, "usage: benchchild STAMPFILE [once | serve ADDR]")
		os.Exit(2)
	}
	if serving {
		os.Exit(serve(os.Args[1], os.Args[3]))
	}
	now := time.Now().UnixNano()
	if err := stamp(os.Args[1], now); err != nil {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		os.Exit(1)
	}
	if len(os.Args) == 3 {
		return
	}
	// Tools stop their child with different signals (nodemon SIGUSR2, reflex
	// and air SIGINT, the rest SIGTERM); die by whichever arrives, as an
	// ordinary server would.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	sig := (<-sigs).(syscall.Signal)
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	time.Sleep(time.Second)
	os.Exit(1)
}

// stamp appends one line in a single write, so concurrent children never
// interleave their lines.
func stamp(path string, now int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	line := strconv.FormatInt(now, 10) + " " + strconv.Itoa(os.Getpid()) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

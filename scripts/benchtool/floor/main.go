// Command floor is the restart path's floor for scripts/bench: the least a
// Go restarter on autoreload's own Watchman client can do. On each batch of
// changes it sends COMMAND SIGTERM, waits for its end and executes it
// again; nothing else: no process group or guard, no check that a tree is
// gone, no terminal, no log. It is not a tool, but a reference row: what
// is left of its latency is the daemon's settle and COMMAND's own start,
// which no restarter shortens, so a row's distance from it is that tool's
// own part.
//
// usage: floor -w DIR -- COMMAND [ARG...]
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 4 || args[0] != "-w" || args[2] != "--" {
		return errors.New("usage: floor -w DIR -- COMMAND [ARG...]")
	}
	dir, argv := args[1], args[3:]
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	c := &child{path: path, argv: argv}
	if err := c.start(); err != nil {
		return err
	}
	defer c.stop()
	sp, err := spec.New(spec.Options{Watch: []string{dir}})
	if err != nil {
		return err
	}
	sub, err := watchman.Subscribe(ctx, sp, watchman.Options{})
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		b, err := sub.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if b.Empty() {
			continue
		}
		c.stop()
		if err := c.start(); err != nil {
			return err
		}
	}
}

// child is COMMAND, run directly: SIGTERM and a wait end it.
type child struct {
	path string
	argv []string
	pid  int
}

func (c *child) start() error {
	pid, err := syscall.ForkExec(c.path, c.argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		return fmt.Errorf("start %s: %w", c.path, err)
	}
	c.pid = pid
	return nil
}

func (c *child) stop() {
	if c.pid == 0 {
		return
	}
	_ = syscall.Kill(c.pid, syscall.SIGTERM)
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(c.pid, &ws, 0, nil)
	c.pid = 0
}

// Command autoreload runs a program and restarts it when its source files
// change. main parses flags, wires the watcher to the supervisor, and maps
// errors to exit codes; the work lives in the packages it wires.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/autoreload/autoreload/cmd/autoreload/internal/guard" // runs the guard and the exec shim
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/watchman"
)

func main() {
	// This binary is also COMMAND's guard and exec shim, which the
	// supervisor starts by running it again: package guard's
	// initialisation runs them, before this package's (see its Main).
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}

func run(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, lookupEnv)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "autoreload: %v\n", err)
		return exitCode(err)
	case cfg.help:
		printHelp(stdout)
		return 0
	case cfg.version:
		fmt.Fprintln(stdout, version())
		return 0
	}
	survivePipes()
	logger := newLogger(cfg, stderr, lookupEnv)
	warnUnknownVariables(logger, os.Environ())
	if cfg.list {
		err := list(cfg, stdout, logger)
		if err != nil {
			fmt.Fprintf(stderr, "autoreload: %v\n", err)
		}
		return exitCode(err)
	}
	// The process-wide changes supervising needs, before anything starts a
	// process (the Watchman CLI included).
	supervisor.Setup()
	err = autoreload(cfg, logger)
	pe, panicked := errors.AsType[*watchman.PanicError](err)
	switch code := exitCode(err); {
	case err == nil || isExit(err):
	case code == 2: // usage errors found late, such as a --watch path
		fmt.Fprintf(stderr, "autoreload: %v\n", err)
	case panicked:
		// A watcher's goroutine panicked (a bug): its stack, for the report.
		logger.Error(msgPanic, "error", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
	default:
		logger.Error(supervisor.MsgFailed, "error", err.Error()) // the word of a COMMAND that cannot start
	}
	return exitCode(err)
}

// survivePipes keeps a write to a closed stdout or stderr (a log viewer
// that quit) from killing autoreload with SIGPIPE, which would leave
// COMMAND running until its guard noticed: such a write fails with EPIPE
// instead, and logging goes on into the void. The signal is caught, not
// ignored, so COMMAND still gets the default action.
func survivePipes() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

func isExit(err error) bool {
	var exit *supervisor.ExitError
	return errors.As(err, &exit)
}

// exitCode is the one place errors become exit codes.
func exitCode(err error) int {
	var (
		usage *usageError
		exit  *supervisor.ExitError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &usage):
		return 2
	default: // COMMAND cannot be started, watching failed
		return 1
	}
}

package supervisor

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/jobshell"
)

// childVar makes this test binary a child for Run to supervise instead of
// running the tests: the os/exec helper-process pattern.
const childVar = "SUPERVISOR_TEST_CHILD"

// superviseVar makes this test binary a program that runs a Supervisor
// for its arguments, as autoreload does, for the job shell of the
// job-control tests (package jobshell) to run as its job.
const superviseVar = "SUPERVISOR_TEST_SUPERVISE"

func TestMain(m *testing.M) {
	guard.Main()    // the guard and the exec shim are this binary too
	jobshell.Main() // and the job shell of the job-control tests
	if os.Getenv(superviseVar) != "" {
		superviseMain(os.Args[1:])
	}
	if mode := os.Getenv(childVar); mode != "" {
		childMain(mode, os.Args[1:])
		return
	}
	Setup()
	os.Exit(m.Run())
}

// superviseMain runs COMMAND (argv) under a Supervisor until SIGINT,
// SIGTERM or SIGHUP, or Ctrl-C on the terminal, as autoreload does, and
// exits 0, or 1 with Run's error. It never returns.
func superviseMain(argv []string) {
	os.Unsetenv(superviseVar)
	Setup()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := New(Options{Command: argv, Grace: 5 * time.Second}).Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "supervise:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childMain is COMMAND in this package's tests. It never returns.
//
//	record FILE       append "PID CHANGED" to FILE (CHANGED with , for newlines), then sleep
//	exit N            exit with code N at once
//	parent FILE       write its pid, its parent's pid, comm and environment to FILE, then sleep
//	ignore-term FILE  ignore SIGTERM, append "ready" to FILE, sleep
//	listen ADDR FILE  ignore SIGTERM, listen on ADDR, append "ok" or "fail: ..." to FILE, sleep
func childMain(mode string, args []string) {
	appendLine := func(file, line string) {
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			os.Exit(100)
		}
		fmt.Fprintln(f, line)
		f.Close()
	}
	switch mode {
	case "record":
		f, err := os.OpenFile(args[0], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			os.Exit(100)
		}
		changed := os.Getenv("AUTORELOAD_CHANGED")
		for i := range len(changed) {
			if changed[i] == '\n' {
				changed = changed[:i] + "," + changed[i+1:]
			}
		}
		fmt.Fprintf(f, "%d %s\n", os.Getpid(), changed)
		f.Close()
	case "exit":
		code, _ := strconv.Atoi(args[0])
		os.Exit(code)
	case "parent":
		// Its parent, the guard: pid, name, and its environment.
		ppid := os.Getppid()
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/environ")
		os.WriteFile(args[0], []byte(fmt.Sprintf("%d\n%d\n%s%s", os.Getpid(), ppid, comm, env)), 0o644)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		appendLine(args[0], "ready")
	case "listen":
		signal.Ignore(syscall.SIGTERM)
		l, err := net.Listen("tcp", args[0])
		if err != nil {
			appendLine(args[1], "fail: "+err.Error())
			os.Exit(1)
		}
		defer l.Close()
		appendLine(args[1], "ok")
	default:
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		os.Exit(100)
	}
	time.Sleep(time.Hour)
	os.Exit(0)
}

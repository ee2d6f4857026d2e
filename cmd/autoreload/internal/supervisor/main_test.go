package supervisor

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// childVar makes this test binary a child for Run to supervise instead of
// running the tests: the os/exec helper-process pattern.
const childVar = "SUPERVISOR_TEST_CHILD"

func TestMain(m *testing.M) {
	Main() // the guard and the exec shim are this binary too
	if mode := os.Getenv(childVar); mode != "" {
		childMain(mode, os.Args[1:])
		return
	}
	Setup()
	os.Exit(m.Run())
}

// childMain is COMMAND in this package's tests. It never returns.
//
//	record FILE    append "PID CHANGED" to FILE (CHANGED with , for newlines), then sleep
//	exit N         exit with code N at once
func childMain(mode string, args []string) {
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
	default:
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		os.Exit(100)
	}
	time.Sleep(time.Hour)
	os.Exit(0)
}

package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// helperMain is COMMAND in the end-to-end tests: the test binary run again
// with AUTORELOAD_TEST_HELPER set. It never returns.
//
//	env FILE            append AUTORELOAD_ENV and AUTORELOAD_CHANGED to FILE, then sleep
//	exit N              exit with code N
//	exit3-once FLAG     exit 3 unless FLAG exists (creating it), else sleep
//	ignore-term FILE    ignore SIGTERM, append "ready" to FILE, sleep
//	slow-stop FILE GO   append "ready" to FILE; on SIGTERM append "stopping" and exit 0 once GO exists
func helperMain(args []string) {
	appendLine := func(file, line string) {
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(100)
		}
		fmt.Fprintln(f, line)
		f.Close()
	}
	switch args[0] {
	case "env":
		appendLine(args[1], strconv.Quote(os.Getenv("AUTORELOAD_ENV"))+" "+strconv.Quote(os.Getenv("AUTORELOAD_CHANGED")))
	case "cwd":
		wd, _ := os.Getwd()
		appendLine(args[1], wd)
	case "exit":
		code, _ := strconv.Atoi(args[1])
		os.Exit(code)
	case "exit3-once":
		if _, err := os.Stat(args[1]); err != nil {
			appendLine(args[1], "exited 3")
			os.Exit(3)
		}
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		appendLine(args[1], "ready")
	case "slow-stop":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		appendLine(args[1], "ready")
		<-term
		appendLine(args[1], "stopping")
		for {
			if _, err := os.Stat(args[2]); err == nil {
				os.Exit(0)
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "spawn", "declare":
		depsHelper(args)
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown mode", args[0])
		os.Exit(100)
	}
	time.Sleep(time.Hour)
	os.Exit(0)
}

package guard

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// The guard's and the exec shim's wire protocol, written and read here
// only: the role variable and argv[0] that make Main run one of them, their
// argv and descriptor layout, and the guard's reports.

// roleVar, with the matching argv[0], makes Main run the program as the
// guard or the exec shim. Both remove it from their environment at once,
// so COMMAND never sees it.
const (
	roleVar   = "AUTORELOAD_ROLE"
	roleGuard = "guard"
	roleShim  = "exec"
	guardName = "autoreload-guard"
	shimName  = "autoreload-exec"
)

// guardRuntime are the settings of the guard's own Go runtime, given in
// its environment, which the runtime reads as it starts. The guard keeps
// nothing of the watcher's: a small heap, collected often, keeps it light
// beside every COMMAND. (No memory limit: one below what the runtime
// itself takes, as under -race, would make it collect without end, and
// slow its stop.) One P: the guard mostly waits, and each P and thread
// more costs resident memory (150 KiB of its peak RSS with two cores).
// Not runtime/debug.SetGCPercent: importing runtime/debug
// would make package guard's initialisation, which runs the guard, wait
// for the packages initialised before it (regexp, log/slog, the
// watchers'…), whose pages would then stay in every guard's memory.
// COMMAND's own values come back with the go-ahead (guardEnv).
var guardRuntime = []string{"GOGC=20", "GOMAXPROCS=1"}

// guardEnv is the guard's environment for COMMAND's cmdEnv: cmdEnv with
// guardRuntime's settings in place of COMMAND's, and the role variable;
// restore is what the go-ahead gives COMMAND back, for each setting
// COMMAND's own entry or, without one, the bare key (goAhead).
func guardEnv(cmdEnv []string) (env, restore []string) {
	for _, kv := range guardRuntime {
		key, _, _ := cut(kv, '=')
		restore = append(restore, key)
	}
	for _, kv := range cmdEnv {
		key, _, _ := cut(kv, '=')
		i := slices.IndexFunc(guardRuntime, func(s string) bool { return hasPrefix(s, key+"=") })
		if i < 0 {
			env = append(env, kv)
		} else if restore[i] == key { // the first entry of a key is its value
			restore[i] = kv
		}
	}
	return append(append(env, guardRuntime...), roleVar+"="+roleGuard), restore
}

// The guard's descriptors: stdio for COMMAND, then the control pipe (its
// end means the supervisor is gone), the report pipe, and from
// fdGuardSockets on the sockets LISTEN_FDS announces.
const (
	fdControl      = 3 // the go-ahead (goAhead) first, then nothing until its end
	fdReport       = 4
	fdGuardSockets = 5
)

// The exec shim's descriptors: stdio, the sockets from fdShimSockets on,
// then the exec-error pipe (shimErrFD).
const fdShimSockets = 3

func shimErrFD(sockets int) int { return fdShimSockets + sockets }

// guardArgs is the guard's argv after argv[0] (guardName).
type guardArgs struct {
	stopSignal syscall.Signal
	grace      time.Duration
	path       string   // COMMAND's executable
	argv       []string // COMMAND's argv
}

// goAhead is what the guard waits for on the control pipe before it starts
// COMMAND, so that it can be started ahead (while the previous COMMAND
// stops): whether COMMAND takes the terminal's foreground, and the
// environment entries known only then (AUTORELOAD_CHANGED) or to restore
// (guardEnv): KEY=VALUE sets KEY, a KEY without '=' unsets it. Its wire form:
// "go FG N\n", then N entries, each "LEN\n" and LEN bytes.
type goAhead struct {
	foreground bool
	env        []string
}

func (g goAhead) encode() []byte {
	b := []byte("go " + boolArg(g.foreground) + " " + strconv.Itoa(len(g.env)) + "\n")
	for _, kv := range g.env {
		b = append(append(strconv.AppendInt(b, int64(len(kv)), 10), '\n'), kv...)
	}
	return b
}

// decodeGoAhead reads a go-ahead; io.EOF before one means the guard is
// not needed after all.
func decodeGoAhead(r *lineReader) (goAhead, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return goAhead{}, io.EOF
	}
	word, rest, _ := cut(chomp(line), ' ')
	fg, count, _ := cut(rest, ' ')
	n, nerr := 0, errArgs
	if word == "go" && (fg == "0" || fg == "1") {
		n, nerr = strconv.Atoi(count)
	}
	if nerr != nil || n < 0 || n > 1000 {
		return goAhead{}, errArgs
	}
	g := goAhead{foreground: fg == "1"}
	for range n {
		line, err := r.ReadString('\n')
		size, serr := strconv.Atoi(chomp(line))
		if err != nil || serr != nil || size < 0 || size > 1<<24 {
			return goAhead{}, errArgs
		}
		kv := make([]byte, size)
		if _, err := io.ReadFull(r, kv); err != nil {
			return goAhead{}, errArgs
		}
		g.env = append(g.env, string(kv))
	}
	return g, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// encode is the guard's whole argv.
func (a guardArgs) encode() []string {
	return append([]string{guardName, strconv.Itoa(int(a.stopSignal)), strconv.FormatInt(int64(a.grace), 10),
		a.path}, a.argv...)
}

var errArgs = errors.New("guard: bad arguments")

// decodeGuardArgs reads what encode wrote, argv[0] left out.
func decodeGuardArgs(args []string) (guardArgs, error) {
	if len(args) < 4 {
		return guardArgs{}, errArgs
	}
	sig, err1 := strconv.Atoi(args[0])
	grace, err2 := strconv.ParseInt(args[1], 10, 64)
	if err1 != nil || err2 != nil {
		return guardArgs{}, errArgs
	}
	return guardArgs{stopSignal: syscall.Signal(sig), grace: time.Duration(grace), path: args[2], argv: args[3:]}, nil
}

// shimArgs is the exec shim's argv after argv[0] (shimName).
type shimArgs struct {
	path string
	argv []string
}

func (a shimArgs) encode() []string { return append([]string{shimName, a.path}, a.argv...) }

func decodeShimArgs(args []string) (shimArgs, error) {
	if len(args) < 2 {
		return shimArgs{}, errArgs
	}
	return shimArgs{path: args[0], argv: args[1:]}, nil
}

// Kind is what a report tells.
type Kind uint8

const (
	Started     Kind = iota + 1 // COMMAND runs; Value is its pid and group id
	Failed                      // COMMAND could not be executed; Value is the errno
	Stopped                     // COMMAND was stopped; Value is the signal (job control)
	Interrupted                 // a Ctrl-C reached COMMAND's group
	Exited                      // COMMAND exited; Value is its code
	Killed                      // a signal ended COMMAND; Value is the signal
)

var kindWords = [...]string{Started: "started", Failed: "failed", Stopped: "stopped",
	Interrupted: "interrupt", Exited: "exited", Killed: "killed"}

// Report is one line the guard writes on its report pipe: Started or
// Failed first, then any of the others, Exited or Killed last.
type Report struct {
	Kind  Kind
	Value int
}

// Encode is the report's line, newline included.
func (r Report) Encode() string {
	return kindWords[r.Kind] + " " + strconv.Itoa(r.Value) + "\n"
}

// DecodeReport reads one line Encode wrote (with or without its newline).
func DecodeReport(line string) (Report, error) {
	word, arg, _ := cut(chomp(line), ' ')
	n, err := strconv.Atoi(arg)
	for k, w := range kindWords {
		if w == word && w != "" && err == nil {
			return Report{Kind: Kind(k), Value: n}, nil
		}
	}
	return Report{}, fmt.Errorf("guard: bad report %q", line)
}

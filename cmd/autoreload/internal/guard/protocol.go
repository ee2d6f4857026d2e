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
	fdControl      = 3 // the supervisor's orders (control) until its end
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

// control is one message on the control pipe, the supervisor's orders to
// a guard that lives as long as the run and starts COMMAND again and
// again:
//
//	go FG N      start COMMAND (none runs); FG: it takes the terminal's
//	             foreground; then N environment entries known only now
//	             (AUTORELOAD_CHANGED) or to restore (guardEnv), each
//	             "LEN\n" and LEN bytes: KEY=VALUE sets KEY, a KEY
//	             without '=' unsets it
//	restart FG N stop the running tree, then start COMMAND as go does
//	stop         stop the running tree
//	hold         drop the start of a restart still stopping (the run ends)
//	kill         SIGKILL at once in this and every later stop
//
// Each restart and stop is answered by Gone once the tree is gone, each go
// and restart by Started or Failed (a held one: Failed with ECANCELED).
// The end of the pipe means the supervisor is gone.
type control struct {
	op         string // one of the op* words
	foreground bool   // go, restart
	env        []string
}

const (
	opGo      = "go"
	opRestart = "restart"
	opStop    = "stop"
	opHold    = "hold"
	opKill    = "kill"
)

// starts reports whether the message starts COMMAND, and so carries FG
// and the environment.
func (m control) starts() bool { return m.op == opGo || m.op == opRestart }

func (m control) encode() []byte {
	if !m.starts() {
		return []byte(m.op + "\n")
	}
	b := []byte(m.op + " " + boolArg(m.foreground) + " " + strconv.Itoa(len(m.env)) + "\n")
	for _, kv := range m.env {
		b = append(append(strconv.AppendInt(b, int64(len(kv)), 10), '\n'), kv...)
	}
	return b
}

// decodeControl reads one message; io.EOF means the supervisor is gone.
func decodeControl(r *lineReader) (control, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return control{}, io.EOF
	}
	word, rest, _ := cut(chomp(line), ' ')
	if rest == "" && (word == opStop || word == opHold || word == opKill) {
		return control{op: word}, nil
	}
	fg, count, _ := cut(rest, ' ')
	n, nerr := 0, errArgs
	if (word == opGo || word == opRestart) && (fg == "0" || fg == "1") {
		n, nerr = strconv.Atoi(count)
	}
	if nerr != nil || n < 0 || n > 1000 {
		return control{}, errArgs
	}
	m := control{op: word, foreground: fg == "1"}
	for range n {
		line, err := r.ReadString('\n')
		size, serr := strconv.Atoi(chomp(line))
		if err != nil || serr != nil || size < 0 || size > 1<<24 {
			return control{}, errArgs
		}
		kv := make([]byte, size)
		if _, err := io.ReadFull(r, kv); err != nil {
			return control{}, errArgs
		}
		m.env = append(m.env, string(kv))
	}
	return m, nil
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
	Started     Kind = iota + 1 // COMMAND runs; Value is its pid
	Failed                      // COMMAND could not be executed; Value is the errno
	Stopped                     // COMMAND was stopped; Value is the signal (job control)
	Interrupted                 // a Ctrl-C reached COMMAND's group
	Exited                      // COMMAND exited; Value is its code
	Killed                      // a signal ended COMMAND; Value is the signal
	Gone                        // what a stop or restart stopped is all gone
)

var kindWords = [...]string{Started: "started", Failed: "failed", Stopped: "stopped",
	Interrupted: "interrupt", Exited: "exited", Killed: "killed", Gone: "gone"}

// Report is one line the guard writes on its report pipe. For each
// COMMAND: Started or Failed first, then any of Stopped and Interrupted,
// then Exited or Killed; Gone answers each stop and restart.
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

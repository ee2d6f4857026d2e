package guard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
//	             (AUTORELOAD_CHANGED), each "LEN\n" and LEN bytes
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
func decodeControl(r *bufio.Reader) (control, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return control{}, io.EOF
	}
	f := strings.Fields(line)
	if len(f) == 1 && (f[0] == opStop || f[0] == opHold || f[0] == opKill) {
		return control{op: f[0]}, nil
	}
	n, nerr := 0, errArgs
	if len(f) == 3 && (f[0] == opGo || f[0] == opRestart) && (f[1] == "0" || f[1] == "1") {
		n, nerr = strconv.Atoi(f[2])
	}
	if nerr != nil || n < 0 || n > 1000 {
		return control{}, errArgs
	}
	m := control{op: f[0], foreground: f[1] == "1"}
	for range n {
		line, err := r.ReadString('\n')
		size, serr := strconv.Atoi(strings.TrimSuffix(line, "\n"))
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
	word, arg, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
	n, err := strconv.Atoi(arg)
	for k, w := range kindWords {
		if w == word && w != "" && err == nil {
			return Report{Kind: Kind(k), Value: n}, nil
		}
	}
	return Report{}, fmt.Errorf("guard: bad report %q", line)
}

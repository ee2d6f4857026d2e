package supervisor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// maxChanged and maxChangedBytes bound AUTORELOAD_CHANGED: the first paths
// that fit both are listed, and a COMMAND that needs more should rescan.
// Linux refuses to exec with one environment string over 128 KiB (E2BIG),
// and macOS limits arguments and environment to 1 MiB in all.
const (
	maxChanged      = 1000
	maxChangedBytes = 64 << 10
)

// statusAttrs are the log attributes: code, or signal as a name such as SIGTERM.
func statusAttrs(e proctree.Status) []any {
	if e.Signal != 0 {
		return []any{"signal", SignalName(e.Signal)}
	}
	return []any{"code", e.Code}
}

// SignalName names a signal as users write it: SIGTERM.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// StartError means COMMAND could not be started: not found, not executable.
type StartError struct {
	Command string
	Err     error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("cannot start %s: %v", commandName(e.Command), e.Err)
}

// commandName shows a COMMAND name as written, but quoted when it is blank
// or holds a space or a character that does not print: `cannot start " "`
// says what `cannot start  ` hides.
func commandName(name string) string {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return strconv.Quote(name)
	}
	return name
}
func (e *StartError) Unwrap() error { return e.Err }

// ExitError means COMMAND exited by itself under OnExitExit; Code is what
// autoreload should exit with.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("command exited with code %d", e.Code) }

// helperVar marks the processes the supervisor's own program starts (the
// Watchman CLI, and the daemon that `watchman get-sockname` spawns):
// Setup puts it in the process environment, which they inherit, with the
// supervisor's pid as its value. Such a daemon double-forks and calls
// setsid, so it is re-parented to the supervisor, its subreaper, in a
// session of its own, exactly like a daemon COMMAND started; the marker
// is how the reaper tells it is not COMMAND's and leaves it running.
// COMMAND never gets it.
const helperVar = "AUTORELOAD_HELPER_OF"

// markHelpers sets helperVar for every process started from now on.
func markHelpers() {
	os.Setenv(helperVar, strconv.Itoa(os.Getpid()))
}

// environ is the base environment plus the two variables that tell
// COMMAND it runs under autoreload and why this run started. LISTEN_*
// variables autoreload inherited are dropped: they describe descriptors
// COMMAND does not get.
func environ(base, changed []string) []string {
	env := make([]string, 0, len(base)+2)
	for _, kv := range base {
		if strings.HasPrefix(kv, "AUTORELOAD_ENV=") || strings.HasPrefix(kv, "AUTORELOAD_CHANGED=") ||
			strings.HasPrefix(kv, helperVar+"=") || isListenVar(kv) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AUTORELOAD_ENV=true", "AUTORELOAD_CHANGED="+changedList(changed))
}

// changedList is AUTORELOAD_CHANGED: one path a line, as many as fit the
// bounds, in order. A path holding a newline cannot be listed one a line and
// is left out (the command maps such paths to the roots before Restart).
func changedList(changed []string) string {
	var b strings.Builder
	n := 0
	for _, p := range changed {
		if strings.Contains(p, "\n") {
			continue
		}
		if n == maxChanged || b.Len()+len(p)+1 > maxChangedBytes {
			break
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
		n++
	}
	return b.String()
}

// CheckCommand reports, as a *StartError, whether COMMAND can be found and
// is executable, so a typo fails at once rather than after the watcher
// started.
func CheckCommand(argv []string) error {
	_, err := lookPath(argv[0])
	return err
}

func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		return path, nil
	}
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return "", &StartError{Command: name, Err: err}
	}
	return path, nil
}

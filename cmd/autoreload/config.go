package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/socket"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman"
)

// config is the command line and the AUTORELOAD_* environment, parsed and
// checked.
type config struct {
	watch, patterns, exts, ignores []string
	noDefaultIgnores               bool
	noIgnoreFiles                  bool
	reloader                       string
	pollInterval                   time.Duration
	noEvents                       bool
	watchmanTimeout                time.Duration
	watchmanRetry                  time.Duration
	debounce                       time.Duration
	stopSignal                     syscall.Signal
	grace                          time.Duration
	onExit                         supervisor.OnExit
	deferStates                    []string
	sockets                        []socket.Addr
	build                          string
	depsFrom                       []string
	verbose, quiet                 bool
	logFormat                      string
	help, version                  bool
	list                           bool
	command                        []string
	project                        // the project file's part

	// On a terminal (-I, --clear, --notify), and --postpone.
	keys, notify, postpone bool
	clear                  string // "", or how: "clear" or "reset"
}

// usageError is bad input on the command line or in the environment: one
// line on stderr and exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// envPrefix + the long flag name upper-cased with - → _ names the variable
// that sets a flag when the command line does not.
const envPrefix = "AUTORELOAD_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// defaultGrace is --grace's default: the supervisor takes the grace it is
// given.
const defaultGrace = 5 * time.Second

// newFlagSet defines every flag into cfg. The help text in help.go lists
// them for people; a test keeps the two, and the README, in step.
func newFlagSet(cfg *config) *pflag.FlagSet {
	fs := pflag.NewFlagSet("autoreload", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	// Flags end at COMMAND: `autoreload go test -v` gives -v to go.
	fs.SetInterspersed(false)
	fs.SortFlags = false

	fs.StringArrayVarP(&cfg.watch, "watch", "w", []string{"."}, "")
	fs.StringArrayVarP(&cfg.patterns, "pattern", "p", nil, "")
	fs.StringArrayVarP(&cfg.exts, "ext", "e", nil, "")
	fs.StringArrayVarP(&cfg.ignores, "ignore", "i", nil, "")
	fs.BoolVar(&cfg.noDefaultIgnores, "no-default-ignores", false, "")
	fs.BoolVar(&cfg.noIgnoreFiles, "no-ignore-files", false, "")
	fs.Var(&choice{&cfg.reloader, []string{"auto", "watchman", "stat"}}, "reloader", "")
	fs.Var(newDuration(&cfg.pollInterval, poller.DefaultInterval, poller.MinInterval), "poll-interval", "")
	fs.BoolVar(&cfg.noEvents, "no-events", false, "")
	fs.Var(newDuration(&cfg.watchmanTimeout, watchman.DefaultTimeout, watchman.MinTimeout), "watchman-timeout", "")
	fs.Var(newDuration(&cfg.watchmanRetry, fallback.DefaultWatchmanRetry, fallback.MinWatchmanRetry), "watchman-retry", "")
	fs.Var(newDuration(&cfg.debounce, 0, 0), "debounce", "")
	fs.VarP((*signalValue)(&cfg.stopSignal), "signal", "s", "")
	fs.Var(newDuration(&cfg.grace, defaultGrace, 0), "grace", "")
	fs.Var((*onExitValue)(&cfg.onExit), "on-exit", "")
	fs.StringVar(&cfg.build, "build", "", "")
	fs.Var((*socketsValue)(&cfg.sockets), "socket", "")
	fs.Var((*depsFromValue)(&cfg.depsFrom), "deps-from", "")
	fs.StringArrayVar(&cfg.deferStates, "defer-state", []string{watchman.DefaultDeferState}, "")
	fs.BoolVar(&cfg.postpone, "postpone", false, "")
	fs.BoolVarP(&cfg.keys, "keys", "I", false, "")
	fs.VarPF((*clearValue)(&cfg.clear), "clear", "", "").NoOptDefVal = "clear"
	fs.BoolVar(&cfg.notify, "notify", false, "")
	fs.BoolVarP(&cfg.verbose, "verbose", "v", false, "")
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "")
	fs.Var(&choice{&cfg.logFormat, []string{"text", "json"}}, "log-format", "")
	fs.BoolVar(&cfg.list, "list", false, "")
	fs.StringVar(&cfg.configPath, "config", "", "")
	fs.BoolVar(&cfg.noConfig, "no-config", false, "")
	fs.BoolVar(&cfg.version, "version", false, "")
	fs.BoolVarP(&cfg.help, "help", "h", false, "")
	return fs
}

// envValues splits the variable of a flag into its values. Repeatable
// flags take one value per occurrence; their variables separate values
// with ':' as PATH does, but --socket's with spaces, since an address
// holds ':'.
func envValues(f *pflag.Flag, v string) []string {
	switch f.Value.Type() {
	case "stringArray":
		return strings.Split(v, ":")
	case "sockets":
		return strings.Fields(v)
	}
	return []string{v}
}

// parseConfig reads args (without the program name) and, for each flag not
// given there, its AUTORELOAD_* variable from lookupEnv.
func parseConfig(args []string, lookupEnv func(string) (string, bool)) (*config, error) {
	cfg := &config{reloader: "auto", logFormat: "text", stopSignal: syscall.SIGTERM}
	fs := newFlagSet(cfg)
	if err := fs.Parse(args); err != nil {
		var names []string
		fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		return nil, &usageError{flagHint(err, names)}
	}
	if cfg.help || cfg.version {
		return cfg, nil
	}
	var envErr error
	fromEnv := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) {
		if envErr != nil || f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		name := envName(f.Name)
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			return
		}
		fromEnv[f.Name] = true
		for _, x := range envValues(f, v) {
			if x == "" {
				continue
			}
			// The Value itself, not fs.Set, so the error names only the variable.
			if err := f.Value.Set(x); err != nil {
				envErr = usagef("invalid %s=%q: %v", name, v, err)
				return
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	cfg.command = fs.Args()
	// The project file fills in what neither the command line nor the
	// environment set.
	if err := cfg.readProjectFile(fs, fromEnv); err != nil {
		return nil, err
	}
	return cfg, cfg.check()
}

// check validates what a single flag cannot: combinations, COMMAND.
func (c *config) check() error {
	if c.verbose && c.quiet {
		return usagef("--verbose and --quiet exclude each other")
	}
	var exts []string
	for _, list := range c.exts {
		for _, e := range strings.Split(list, ",") {
			e = strings.TrimPrefix(strings.TrimSpace(e), ".")
			if e != "" {
				exts = append(exts, e)
			}
		}
	}
	if len(c.exts) > 0 && len(exts) == 0 {
		// An empty list would silently mean "every file".
		return usagef("invalid --ext %q: no extension given", strings.Join(c.exts, ","))
	}
	c.exts = exts
	for _, w := range c.watch {
		if _, err := os.Stat(w); err != nil && strings.Contains(w, ",") {
			// -w a,b: a list, as --ext takes, where -w takes one path.
			first, rest, _ := strings.Cut(w, ",")
			return usagef("watch %s: no such file or directory; -w takes one path; repeat it: -w %s -w %s",
				w, first, strings.ReplaceAll(rest, ",", " -w "))
		}
	}
	if c.build != "" && strings.TrimSpace(c.build) == "" {
		return usagef("invalid --build %q: a blank command line", c.build)
	}
	if err := c.resolveProjectPaths(); err != nil {
		return err
	}
	if c.list && len(c.command) == 0 {
		return nil // a dry run needs no COMMAND
	}
	if len(c.command) == 0 || c.command[0] == "" {
		return usagef("no COMMAND given: usage: autoreload [flags] [--] COMMAND [ARG...] (see --help)")
	}
	return checkDepsFrom(c)
}

// duration is a duration flag that refuses negative values and values
// below its minimum, so the error names the flag or its variable as any
// other bad value does. A zero minimum keeps 0 meaning "none".
type duration struct {
	value *time.Duration
	min   time.Duration
}

func newDuration(p *time.Duration, def, min time.Duration) *duration {
	*p = def
	return &duration{p, min}
}

func (d *duration) String() string { return d.value.String() }
func (d *duration) Type() string   { return "duration" }
func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errDurationSyntax
	}
	switch {
	case v < 0:
		return errors.New("must not be negative")
	case v < d.min:
		return fmt.Errorf("must be at least %v", d.min)
	}
	*d.value = v
	return nil
}

// errDurationSyntax shows what a duration looks like.
var errDurationSyntax = errors.New(`must be a duration like "30s" or "500ms"`)

// choice is a string flag with a fixed set of values.
type choice struct {
	value   *string
	allowed []string
}

func (c *choice) String() string { return *c.value }
func (c *choice) Type() string   { return "string" }
func (c *choice) Set(s string) error {
	for _, a := range c.allowed {
		if s == a {
			*c.value = s
			return nil
		}
	}
	return fmt.Errorf("want %s or %s", strings.Join(c.allowed[:len(c.allowed)-1], ", "), c.allowed[len(c.allowed)-1])
}

// clearValue is --clear: clear (also true, as the bare flag) or reset;
// false is off, so AUTORELOAD_CLEAR and the project file take booleans.
type clearValue string

func (v *clearValue) String() string { return string(*v) }
func (v *clearValue) Type() string   { return "clear" }
func (v *clearValue) Set(s string) error {
	switch s {
	case "clear", "true":
		*v = "clear"
	case "reset":
		*v = "reset"
	case "false":
		*v = ""
	default:
		return errors.New("want clear or reset (or true, false)")
	}
	return nil
}

// socketsValue is --socket: each value is parsed as it comes, so a bad one
// is named with its flag or variable.
type socketsValue []socket.Addr

func (v *socketsValue) String() string {
	s := make([]string, len(*v))
	for i, a := range *v {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}
func (v *socketsValue) Type() string { return "sockets" }
func (v *socketsValue) Set(s string) error {
	a, err := socket.Parse(s)
	if err != nil {
		return err
	}
	*v = append(*v, a)
	return nil
}

type onExitValue supervisor.OnExit

func (v *onExitValue) String() string {
	return [...]string{"wait", "exit", "restart"}[*v]
}
func (v *onExitValue) Type() string { return "string" }
func (v *onExitValue) Set(s string) error {
	o, err := supervisor.ParseOnExit(s)
	if err != nil {
		return errors.New("want wait, exit or restart")
	}
	*v = onExitValue(o)
	return nil
}

// signalValue accepts TERM, SIGTERM, sigterm and 15.
type signalValue syscall.Signal

func (v *signalValue) String() string {
	return strings.TrimPrefix(supervisor.SignalName(syscall.Signal(*v)), "SIG")
}
func (v *signalValue) Type() string { return "string" }
func (v *signalValue) Set(s string) error {
	sig, err := parseSignal(s)
	if err != nil {
		return err
	}
	if why, ok := endsNothing(sig); ok {
		return fmt.Errorf("%s %s: a stop signal must end the process (TERM, INT, HUP, QUIT or KILL, for example)",
			supervisor.SignalName(sig), why)
	}
	*v = signalValue(sig)
	return nil
}

// endsNothing tells whether sig's default action leaves the process
// running, and why: a stop signal that ends nothing makes every restart
// wait out the whole grace. The names are looked up, so a signal one
// system lacks (SIGINFO on Linux) drops out.
func endsNothing(sig syscall.Signal) (why string, ok bool) {
	for _, name := range []string{"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"} {
		if unix.SignalNum(name) == sig {
			return "stops the process", true
		}
	}
	// SIGIO is ignored by default on the BSDs and macOS only.
	ignored := []string{"SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH", "SIGINFO"}
	if runtime.GOOS != "linux" {
		ignored = append(ignored, "SIGIO")
	}
	for _, name := range ignored {
		if unix.SignalNum(name) == sig {
			return "is ignored by default", true
		}
	}
	return "", false
}

func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || unix.SignalName(syscall.Signal(n)) == "" {
			return 0, fmt.Errorf("unknown signal %d", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

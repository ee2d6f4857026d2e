package main

import (
	"errors"
	"fmt"
	"io"

	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

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
	watchmanTimeout                time.Duration
	watchmanRetry                  time.Duration
	debounce                       time.Duration
	stopSignal                     syscall.Signal
	grace                          time.Duration
	onExit                         supervisor.OnExit
	deferStates                    []string
	verbose, quiet                 bool
	logFormat                      string
	help, version                  bool
	command                        []string
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
	fs.DurationVar(&cfg.pollInterval, "poll-interval", poller.DefaultInterval, "")
	fs.DurationVar(&cfg.watchmanTimeout, "watchman-timeout", watchman.DefaultTimeout, "")
	fs.DurationVar(&cfg.watchmanRetry, "watchman-retry", fallback.DefaultWatchmanRetry, "")
	fs.DurationVar(&cfg.debounce, "debounce", 0, "")
	fs.VarP((*signalValue)(&cfg.stopSignal), "signal", "s", "")
	fs.DurationVar(&cfg.grace, "grace", defaultGrace, "")
	fs.Var((*onExitValue)(&cfg.onExit), "on-exit", "")
	fs.StringArrayVar(&cfg.deferStates, "defer-state", []string{watchman.DefaultDeferState}, "")
	fs.BoolVarP(&cfg.verbose, "verbose", "v", false, "")
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "")
	fs.Var(&choice{&cfg.logFormat, []string{"text", "json"}}, "log-format", "")
	fs.BoolVar(&cfg.version, "version", false, "")
	fs.BoolVarP(&cfg.help, "help", "h", false, "")
	return fs
}

// repeatable flags take one value per occurrence; their variables separate
// values with ':' as PATH does.
func repeatable(f *pflag.Flag) bool { return f.Value.Type() == "stringArray" }

// parseConfig reads args (without the program name) and, for each flag not
// given there, its AUTORELOAD_* variable from lookupEnv.
func parseConfig(args []string, lookupEnv func(string) (string, bool)) (*config, error) {
	cfg := &config{reloader: "auto", logFormat: "text", stopSignal: syscall.SIGTERM}
	fs := newFlagSet(cfg)
	if err := fs.Parse(args); err != nil {
		return nil, &usageError{err}
	}
	if cfg.help || cfg.version {
		return cfg, nil
	}
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if envErr != nil || f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		name := envName(f.Name)
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			return
		}
		values := []string{v}
		if repeatable(f) {
			values = strings.Split(v, ":")
		}
		for _, x := range values {
			if x == "" {
				continue
			}
			if err := fs.Set(f.Name, x); err != nil {
				envErr = usagef("invalid %s=%q: %v", name, v, err)
				return
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	cfg.command = fs.Args()
	return cfg, cfg.check()
}

// check validates what a single flag cannot: combinations, signs, COMMAND.
func (c *config) check() error {
	for name, d := range map[string]time.Duration{
		"poll-interval": c.pollInterval, "watchman-timeout": c.watchmanTimeout,
		"watchman-retry": c.watchmanRetry, "debounce": c.debounce, "grace": c.grace,
	} {
		if d < 0 {
			return usagef("invalid --%s %v: must not be negative", name, d)
		}
	}
	if c.pollInterval == 0 {
		return usagef("invalid --poll-interval 0: must be positive")
	}
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
	if len(c.command) == 0 || c.command[0] == "" {
		return usagef("no COMMAND given: usage: autoreload [flags] [--] COMMAND [ARG...] (see --help)")
	}
	return nil
}

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
	*v = signalValue(sig)
	return nil
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

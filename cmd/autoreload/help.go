package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// helpText is the documentation of the command line; README.md says the
// same at more length. The defaults are the packages' constants: a
// {flag-name} stands for that flag's default.
var helpText = defaultsReplacer.Replace(`autoreload runs COMMAND and restarts it when its source files change.

Usage:
  autoreload [flags] [--] COMMAND [ARG...]
  autoreload [flags]          (COMMAND from .autoreload.toml)

Flags end at COMMAND: in "autoreload go test -v ./...", -v goes to go.

What to watch:
  -w, --watch PATH            file or directory to watch; repeatable (default .)
  -p, --pattern GLOB          watch only matching files; repeatable. Without '/'
                              it matches the base name at any depth, with '/' the
                              path below the watched root. Wildmatch: * ? [...] **
  -e, --ext LIST              watch only these extensions, comma-separated
                              (go,tmpl); joins --pattern as "any of"
  -i, --ignore GLOB           never watch matching files or directories; repeatable
      --no-default-ignores    also watch the droppings of editors, tools and the
                              OS, ignored by default (.git, .hg and .svn stay
                              ignored):
{default-ignores}
      --no-ignore-files       also watch what .gitignore, .ignore, .git/info/exclude
                              and git's global excludes file ignore
      --deps-from CMD         restart only for the files COMMAND uses: the paths
                              sh -c CMD prints (one a line; DIR: its files;
                              DIR/...: the subtree), "go" for go list -deps of a
                              go run/test/build COMMAND (or --build), "child"
                              for what COMMAND's processes write to
                              AUTORELOAD_DEPS_SOCKET; repeatable (the union counts)

How to watch:
      --reloader NAME         auto, watchman or stat (default auto: Watchman
                              when it is usable, else the stat poller)
      --poll-interval DUR     how often the stat poller scans what kernel events
                              cannot vouch for (default {poll-interval};
                              at least {poll-interval-min})
      --no-events             the stat poller scans everything at --poll-interval,
                              without kernel events (for a filesystem that lies)
      --watchman-timeout DUR  how long a Watchman request may take (default {watchman-timeout};
                              at least {watchman-timeout-min})
      --watchman-retry DUR    how often to try Watchman again while on the
                              poller (default {watchman-retry}; at least {watchman-retry-min})
      --defer-state NAME      hold changes while Watchman has this state
                              asserted; repeatable (default {defer-state})
      --debounce DUR          gather changes for this long into one restart
                              (default 0: no wait beyond the backend's own)

How to restart:
  -s, --signal NAME           stop signal sent to COMMAND's process group:
                              TERM, SIGTERM or 15 (default TERM); one that
                              ends a process (not STOP, TSTP, CHLD, CONT...)
      --grace DUR             time between the stop signal and SIGKILL (default {grace})
      --on-exit MODE          when COMMAND exits by itself with a code other
                              than 3: wait (default: restart on the next
                              change), exit (exit with COMMAND's code), or
                              restart (at once, backing off from 100ms to 5s)
      --build CMD             run CMD with sh -c before each start; after a
                              change COMMAND keeps running until CMD succeeds,
                              and a failed build leaves it running
      --socket ADDR           listen on ADDR once and hand the socket to every
                              start of COMMAND as descriptor 3, 4... by the
                              systemd protocol (LISTEN_FDS, LISTEN_PID,
                              LISTEN_FDNAMES): HOST:PORT, :PORT, [::1]:PORT or
                              unix:PATH, optionally NAME=ADDR; repeatable
      --postpone              start COMMAND only on the first change

On a terminal:
  -I, --keys                  read keys: r restarts COMMAND, p pauses and
                              resumes (one restart then follows with what
                              changed), q quits, ? lists them; COMMAND then
                              gets no terminal input (stdin is /dev/null)
      --clear[=reset]         clear the screen before each start of COMMAND (and
                              before its --build); reset: reset the terminal
      --notify                a desktop notification when a build fails or
                              COMMAND fails by itself: a terminal escape (OSC
                              777 or 9; in tmux, set allow-passthrough on), else
                              notify-send

Project file:
      --config PATH           read flags and COMMAND from PATH (default: the
                              .autoreload.toml of the working directory or of
                              the nearest parent, up to the repository's top)
      --no-config             read no project file

Output:
      --list                  print the files that would be watched, one a
                              line, and exit; COMMAND is not run
  -v, --verbose               log more
  -q, --quiet                 log only warnings and errors
      --log-format FORMAT     text or json (default text); logs go to stderr
      --version               print the version and exit
  -h, --help                  print this help and exit

Every flag can also be set by a variable: AUTORELOAD_ and the long name in
capitals with '-' as '_' (AUTORELOAD_ON_EXIT=restart). A flag on the command
line wins. Repeatable flags take several values separated by ':' as in PATH,
--socket's variable by spaces (AUTORELOAD_SOCKET=':8080 unix:/tmp/app.sock').
Any other AUTORELOAD_ variable gets a warning naming the one it probably meant.
A project file (.autoreload.toml) sets what neither does: its keys are the
long flag names (watch = ["src"], build = "make") and command = ["bin/server"],
which plain "autoreload" then runs; its relative paths start at its directory.
[[on]] tables (pattern = "*.templ", run = "templ generate") run a command
instead of a restart when matching files change.

COMMAND runs without a shell, in its own process group, with AUTORELOAD_ENV=true
and AUTORELOAD_CHANGED (the changed paths that caused this start, one a line).
Exit code 3 from COMMAND restarts it at once. SIGUSR1 to autoreload restarts it
by hand: kill -USR1 PID (-v logs autoreload's pid), or r with -I. Ctrl-C,
SIGTERM or SIGHUP stop it and autoreload exits 0; a second Ctrl-C kills it at
once.

Exit codes: 0 after a stop, COMMAND's code with --on-exit=exit, 1 when
COMMAND cannot be started or watching fails, 2 for bad usage.

Examples:
  autoreload -- go run ./cmd/server
  autoreload --deps-from go -- go run ./cmd/server
  autoreload -e go,tmpl -i 'vendor/**' -- go run .
  autoreload -w src -p '*.py' -- python3 manage.py runserver --noreload
  autoreload --on-exit=restart -e js,json -- node server.js
  autoreload --reloader=stat --poll-interval=500ms -- make test
  autoreload --socket :8080 -i 'bin/**' --build 'go build -o bin/server .' -- bin/server
  autoreload -I --clear --notify -e go -- go run .
  AUTORELOAD_IGNORE='*.log:tmp' autoreload -- ./run.sh
`)

// defaultsReplacer writes the defaults into the help text.
var defaultsReplacer = strings.NewReplacer(
	"{poll-interval}", poller.DefaultInterval.String(),
	"{poll-interval-min}", poller.MinInterval.String(),
	"{watchman-timeout}", watchman.DefaultTimeout.String(),
	"{watchman-timeout-min}", watchman.MinTimeout.String(),
	"{watchman-retry}", fallback.DefaultWatchmanRetry.String(),
	"{watchman-retry-min}", fallback.MinWatchmanRetry.String(),
	"{defer-state}", watchman.DefaultDeferState,
	"{grace}", defaultGrace.String(),
	"{default-ignores}", indentedList(spec.DefaultIgnores(), 30, 80),
)

// indentedList lays out words in lines of at most width columns, each
// indented by indent spaces.
func indentedList(words []string, indent, width int) string {
	var lines []string
	line := ""
	for _, w := range words {
		if line != "" && indent+len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	lines = append(lines, line)
	pad := strings.Repeat(" ", indent)
	return pad + strings.Join(lines, "\n"+pad)
}

func printHelp(w io.Writer) { fmt.Fprint(w, helpText) }

//go:build linux

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tool is one row of the results: how to run it around the benchmark child
// on a tree, and what to expect of it.
type tool struct {
	name     string // row label
	slug     string // file-name friendly
	watchman bool   // needs a Watchman daemon, whose cost is reported beside it
	// initialStart: the child is started at launch. watchman-make only runs
	// its command after a change.
	initialStart bool
	// once: the tool runs a command to completion rather than restarting a
	// long-running one, so the child exits right after stamping.
	once bool
	// probeEvery spaces the writes that test readiness; it must exceed any
	// debounce that restarts its timer on every event (watchman-make's
	// settle), or the tool would never fire.
	probeEvery time.Duration
	// eachFile: one inotify watch per file, not per directory, which limits
	// how many such tools fit in the user's inotify budget at once.
	eachFile bool
	// old: autoreload built from an older commit (config.old).
	old bool
	// reference: not a tool but the floor of the restart path (config.floor),
	// measured in the latency trials only: neither on the big tree nor in an
	// idle window.
	reference   bool
	version     string
	unavailable string // why it cannot be measured; empty when it can
	command     func(c *config, tree, stamp, fileList string) spec
	note        string
}

// config is what the benchmark was given: binaries, directories, sizes.
type config struct {
	autoreload    string // built binary; empty when the build failed
	autoreloadErr string
	autoreloadRev string // what it was built from, for the report
	// old is autoreload built from an older commit (oldRev), measured in
	// the same run so that a regression shows as a ratio.
	old, oldErr, oldRev string
	// floor is scripts/benchtool/floor built from this checkout: the least a
	// restarter on autoreload's Watchman client does (the floor row).
	floor string
	child string // benchchild, the server of the gap measure
	// The restarted COMMAND (childArgv) is shExe running dateExe, then
	// exec'ing sleepExe.
	shExe, dateExe, sleepExe string
	targets                  bool          // only the rows and measures of the restart-path targets
	trialGap                 time.Duration // at least this long from one trial's write to the next
	bigRestarts              int           // restarts per ready round on the big tree (restartsOnBig)
	driver                   string        // the Django driver script, written at run time
	cache                    string        // peers' install directory
	run                      string        // this run's scratch directory
	out                      string
	quick                    bool
	trials                   int
	idle                     time.Duration
	bigFiles                 int
	readyRounds              int
	trialTimeout             time.Duration
	readyTimeout             time.Duration
	settle                   time.Duration // quiet time for restarts to finish before counting or measuring
	goVersion                string
	gap                      bool // the restart-gap measure only
}

// childArgv is the COMMAND every tool restarts: a shell that appends the
// time to the stamp file with date(1), its first instruction, then execs a
// sleep that any signal ends (nodemon stops it with SIGUSR2, reflex and air
// with SIGINT, the rest with SIGTERM). Latency is read from that line, so
// it is write → the new COMMAND's first instruction, whatever the tool's
// own log says. With once it exits right after stamping, for tools that
// run a command to completion instead of restarting a long-running one.
// targetSlugs are the rows the restart path's targets compare (-targets).
// The older build's no-Watchman row is not among them: before the events
// poller (d87e2c6) it is the pure poller, and compares with nothing here.
const targetSlugs = "autoreload,autoreload-events,autoreload-old,floor,nodemon"

// leftOut is why a tool that -tools (or -targets) did not name is not
// measured; the report leaves such rows out.
const leftOut = "left out by -tools"

// The programs are named by absolute path: some tools run with a PATH of
// their own (autoreload-events).
func childArgv(c *config, stamp string, once bool) []string {
	script := shellQuote([]string{c.dateExe}) + ` +%s%N >> "$0"`
	if !once {
		script += "; exec " + shellQuote([]string{c.sleepExe}) + " 1000000"
	}
	return []string{c.shExe, "-c", script, stamp}
}

func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func allTools(c *config) []*tool {
	autoreloadOf := func(bin func(*config) string, reloader string, flags ...string) func(*config, string, string, string) spec {
		return func(c *config, tree, stamp, _ string) spec {
			argv := append([]string{bin(c), "--log-format", "json", "--reloader", reloader, "-w", tree}, flags...)
			return spec{argv: append(append(argv, "--"), childArgv(c, stamp, false)...), dir: tree, own: bin(c)}
		}
	}
	current := func(c *config) string { return c.autoreload }
	older := func(c *config) string { return c.old }
	autoreload := func(reloader string, flags ...string) func(*config, string, string, string) spec {
		return autoreloadOf(current, reloader, flags...)
	}
	// No watchman on PATH, no socket: the poller, with kernel events.
	noWatchman := func(cmd func(*config, string, string, string) spec) func(*config, string, string, string) spec {
		return func(c *config, tree, stamp, list string) spec {
			sp := cmd(c, tree, stamp, list)
			sp.env = []string{"PATH=" + filepath.Join(c.run, "no-watchman"), "WATCHMAN_SOCK="}
			return sp
		}
	}
	oldName := "autoreload@" + c.oldRev
	django := func(mode string) func(*config, string, string, string) spec {
		return func(c *config, tree, stamp, _ string) spec {
			argv := []string{"/usr/bin/python3", c.driver, mode, tree}
			return spec{argv: append(argv, childArgv(c, stamp, false)...), dir: tree}
		}
	}
	gobin := filepath.Join(c.cache, "gobin")
	tools := []*tool{
		{name: "autoreload", slug: "autoreload", watchman: true, initialStart: true,
			command: autoreload("watchman"), note: "`--reloader watchman`"},
		{name: "autoreload, no Watchman", slug: "autoreload-events", initialStart: true,
			command: noWatchman(autoreload("auto")),
			note:    "`--reloader auto` with no Watchman on PATH: the poller with inotify, one watch per directory"},
		{name: oldName, slug: "autoreload-old", watchman: true, initialStart: true, old: true,
			command: autoreloadOf(older, "watchman"), note: "`--reloader watchman`, built from " + c.oldRev},
		{name: "floor: kill, wait, exec", slug: "floor", watchman: true, initialStart: true, reference: true,
			command: func(c *config, tree, stamp, _ string) spec {
				return spec{argv: append([]string{c.floor, "-w", tree, "--"}, childArgv(c, stamp, false)...), dir: tree}
			},
			note: "not a tool: scripts/benchtool/floor, on autoreload's Watchman client, sends COMMAND SIGTERM, waits and executes it " +
				"again, and does nothing else (no guard, no check that a tree is gone): its latency is the daemon's settle and COMMAND's own start"},
		{name: oldName + ", no Watchman", slug: "autoreload-old-events", initialStart: true, old: true,
			command: noWatchman(autoreloadOf(older, "auto")), note: "`--reloader auto` with no Watchman on PATH, built from " + c.oldRev},
		{name: "autoreload --reloader stat --no-events", slug: "autoreload-stat", initialStart: true,
			command: autoreload("stat", "--no-events"),
			note:    "the pure poller, default poll interval"},
		{name: "Django StatReloader", slug: "django-stat", initialStart: true,
			command: django("stat"), note: "polls every 1 s; each restart is a new Python process (Django's own parent/child scheme), which spawns the child"},
		{name: "Django WatchmanReloader", slug: "django-watchman", watchman: true, initialStart: true,
			command: django("watchman"), note: "also watches the directories of every imported module"},
		{name: "watchman-make", slug: "watchman-make", watchman: true, once: true,
			command: func(c *config, tree, stamp, _ string) spec {
				return spec{argv: []string{"/usr/bin/watchman-make", "-p", "**/*.py", "--root", tree,
					"--run", shellQuote(childArgv(c, stamp, true))}, dir: tree}
			},
			probeEvery: 500 * time.Millisecond,
			note:       "runs a command to completion and never restarts a running one: measured with a child that exits at once; 0.2 s settle"},
		{name: "entr -r", slug: "entr", initialStart: true, eachFile: true,
			command: func(c *config, tree, stamp, list string) spec {
				return spec{argv: append([]string{"/usr/bin/entr", "-n", "-r"}, childArgv(c, stamp, false)...),
					dir: tree, stdin: list}
			},
			note: "watches the listed files only (no new files)"},
		{name: "nodemon", slug: "nodemon", initialStart: true, eachFile: true,
			command: func(c *config, tree, stamp, _ string) spec {
				return spec{argv: []string{filepath.Join(c.cache, "npm/node_modules/.bin/nodemon"),
					"--no-update-notifier", "-q", "-I", "-w", tree, "-e", "py",
					"-x", shellQuote(childArgv(c, stamp, false))}, dir: tree,
					env: []string{"NO_UPDATE_NOTIFIER=1"}}
			},
			note: "runs the command through sh, which counts as nodemon's own"},
		{name: "reflex -s", slug: "reflex", initialStart: true,
			command: func(c *config, tree, stamp, _ string) spec {
				argv := []string{filepath.Join(gobin, "reflex"), "-s", "-d", "none", "-r", `\.py$`, "--"}
				return spec{argv: append(argv, childArgv(c, stamp, false)...), dir: tree}
			},
			probeEvery: 500 * time.Millisecond,
			note:       "acts after 300 ms without events; the child runs on a pty"},
		{name: "air", slug: "air", initialStart: true,
			command: func(c *config, tree, stamp, _ string) spec {
				return spec{argv: []string{filepath.Join(gobin, "air"), "-root", tree,
					"-tmp_dir", filepath.Join(c.run, "air-tmp"),
					"-build.cmd", "true", "-build.bin", "", "-build.entrypoint", "",
					"-build.full_bin", shellQuote(childArgv(c, stamp, false)),
					"-build.include_ext", "py"}, dir: tree}
			},
			note: "default 1 s build delay"},
	}
	for _, t := range tools {
		switch {
		case t.probeEvery != 0:
		case measuresOwn(t):
			// Their time to ready is a target against each other: a finer
			// probe leaves less of it to where the probe fell.
			t.probeEvery = 50 * time.Millisecond
		default:
			t.probeEvery = 250 * time.Millisecond
		}
	}
	return tools
}

// loadStatus fills in versions and install failures from the status files
// scripts/bench wrote: STATUSDIR/SLUG holds "ok VERSION" or "unavailable WHY".
func loadStatus(tools []*tool, dir string, c *config) {
	for _, t := range tools {
		isAutoreload := strings.HasPrefix(t.slug, "autoreload")
		switch {
		case t.old && c.old == "":
			t.unavailable = "no binary: " + c.oldErr
			continue
		case t.old:
			t.version = "built from " + c.oldRev
		case isAutoreload && c.autoreload == "":
			t.unavailable = "no binary: " + c.autoreloadErr
			continue
		case isAutoreload && c.autoreloadRev != "":
			t.version = "built from " + c.autoreloadRev
		case t.reference && c.floor == "":
			t.unavailable = "no binary: scripts/bench could not build ./scripts/benchtool/floor (floor-build.log in its cache)"
			continue
		case t.reference:
			t.version = "built from this checkout"
		}
		f, err := os.Open(filepath.Join(dir, t.slug))
		if (isAutoreload || t.reference) && err != nil {
			continue // built from this checkout; a status file only says what is missing
		}
		if err != nil {
			t.unavailable = "no install status (scripts/bench did not install it)"
			continue
		}
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			word, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
			if word == "ok" {
				t.version = rest
			} else {
				t.unavailable = rest
			}
		}
		f.Close()
	}
}

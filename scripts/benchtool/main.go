//go:build linux

// Command benchtool measures autoreload side by side with the tools people
// use instead; scripts/bench installs the peers, builds the binaries and runs
// it. Every tool restarts the same child (benchchild), which stamps its own
// start time, so latency is read from the child, not from any tool's log.
//
// Guarantees: every process it starts runs in a process group of its own and
// is tracked with all its descendants (the benchmark is their subreaper), and
// all of them are gone when it exits, on success, error or signal. Watchman
// daemons are private (own socket, state and log under the run directory),
// never the default one.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed django_driver.py
var djangoDriver []byte

func main() {
	c := &config{}
	var statusDir, toolsFlag string
	var keep bool
	flag.StringVar(&c.autoreload, "autoreload", "", "autoreload binary")
	flag.StringVar(&c.autoreloadErr, "autoreload-error", "", "why there is no autoreload binary")
	flag.StringVar(&c.autoreloadRev, "autoreload-rev", "", "what the autoreload binary was built from")
	flag.StringVar(&c.old, "old", "", "autoreload binary built from an older commit, measured beside")
	flag.StringVar(&c.oldErr, "old-error", "", "why there is no older binary")
	flag.StringVar(&c.oldRev, "old-rev", "old", "the commit the older binary was built from")
	flag.BoolVar(&c.targets, "targets", false, "only the restart-path targets: autoreload, its older build, the floor and nodemon")
	trials := flag.Int("trials", 0, "latency trials per tool (default 30, 5 with -quick)")
	flag.StringVar(&c.child, "child", "", "benchchild binary")
	flag.StringVar(&c.floor, "floor", "", "the floor binary (scripts/benchtool/floor)")
	flag.StringVar(&c.cache, "cache", "", "directory the peers are installed in")
	flag.StringVar(&statusDir, "status", "", "directory of peer install status files")
	flag.StringVar(&c.out, "out", "", "write the Markdown report here too")
	flag.BoolVar(&c.quick, "quick", false, "fewer trials, shorter idle window, smaller big tree")
	flag.StringVar(&c.goVersion, "go-version", "", "output of go version")
	flag.StringVar(&toolsFlag, "tools", "", "comma-separated slugs to measure (default all)")
	flag.BoolVar(&keep, "keep", false, "keep the run directory (trees, logs) for inspection")
	bigFiles := flag.Int("big-files", 0, "files in the big tree (default 100000, 20000 with -quick)")
	flag.BoolVar(&c.gap, "gap", false, "measure only the restart gap of an HTTP server (gap.go)")
	flag.Parse()
	if c.child == "" || c.cache == "" || statusDir == "" {
		fmt.Fprintln(os.Stderr, "benchtool: -child, -cache and -status are required (run scripts/bench)")
		os.Exit(2)
	}
	c.trials, c.idle, c.bigFiles, c.readyRounds, c.bigRestarts = 30, 20*time.Second, 100_000, 3, 5
	c.trialTimeout, c.readyTimeout, c.settle = 10*time.Second, 120*time.Second, 3*time.Second
	c.trialGap = 700 * time.Millisecond
	if c.quick {
		c.trials, c.idle, c.bigFiles, c.readyRounds, c.bigRestarts = 5, 5*time.Second, 20_000, 1, 3
		c.trialTimeout, c.readyTimeout, c.settle = 6*time.Second, 60*time.Second, 1500*time.Millisecond
	}
	if c.targets {
		c.readyRounds = 5 // time to ready is a target: a steadier median
	}
	if *bigFiles > 0 {
		c.bigFiles = *bigFiles
	}
	if *trials > 0 {
		c.trials = *trials
	}
	if c.targets && c.gap {
		fmt.Fprintln(os.Stderr, "benchtool: -targets and -gap are two different measures: give one")
		os.Exit(2)
	}
	// Processes are told apart by their executable as /proc/PID/exe names it.
	for _, bin := range []*string{&c.autoreload, &c.old} {
		if *bin != "" {
			if real, err := filepath.EvalSymlinks(*bin); err == nil {
				*bin = real
			}
		}
	}
	for name, exe := range map[string]*string{"sh": &c.shExe, "date": &c.dateExe, "sleep": &c.sleepExe} {
		path, err := exec.LookPath(name)
		if err == nil {
			path, err = filepath.EvalSymlinks(path)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchtool: the restarted COMMAND runs %s, which is not found: %v\n", name, err)
			os.Exit(1)
		}
		*exe = path
	}
	if err := run(c, statusDir, toolsFlag, keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func run(c *config, statusDir, only string, keep bool) error {
	setSubreaper()
	began := time.Now()
	var err error
	if c.run, err = os.MkdirTemp("", "autoreload-bench."); err != nil {
		return err
	}
	if !keep {
		defer removeAll(c.run)
	}
	// Django's WatchmanReloader also watches sys.path[0], the script's
	// directory, as it would watch a project holding manage.py: give the
	// script a directory of its own, not the run directory with every tree.
	c.driver = filepath.Join(c.run, "django", "django_driver.py")
	if err := os.MkdirAll(filepath.Dir(c.driver), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(c.driver, djangoDriver, 0o644); err != nil {
		return err
	}
	all := allTools(c)
	loadStatus(all, statusDir, c)
	b := &bench{c: c, smp: startSampler(200 * time.Millisecond), results: map[*tool]*result{},
		logf: func(f string, a ...any) {
			fmt.Fprintf(os.Stderr, "bench %5.1fs: %s\n", time.Since(began).Seconds(), fmt.Sprintf(f, a...))
		}}
	defer b.smp.close()
	if only == "" && c.targets {
		only = targetSlugs
	}
	for _, t := range all {
		b.results[t] = &result{}
		if c.gap {
			continue // the gap measure has rows of its own
		}
		if only != "" && !slicesContains(strings.Split(only, ","), t.slug) {
			t.unavailable = leftOut
		}
		if t.unavailable == "" {
			b.tools = append(b.tools, t)
		} else {
			b.logf("%s: not measured: %s", t.name, t.unavailable)
		}
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "benchtool: %v: stopping every tool\n", sig)
		killLive(b.smp)
		sweep(c.run)
		if !keep {
			removeAll(c.run)
		}
		os.Exit(130)
	}()

	machine := describeMachine(c)
	if c.gap {
		md := b.runGap(all, only)
		killLive(b.smp)
		if leftovers := sweep(c.run); len(leftovers) > 0 {
			md += "\nLeft running after the tools were stopped (killed): " + strings.Join(leftovers, "; ") + "\n"
		}
		md += "\n" + strings.Join(machine, "  \n") + "\n"
		return writeReport(c, md, b.logf)
	}
	var runErr error
	if len(b.tools) > 0 {
		runErr = b.runAll()
	}
	killLive(b.smp)
	leftovers := sweep(c.run)
	machine = append(machine, "Load average (1, 5, 15 min) at the end: "+loadavg())
	md := report(c, all, b.results, b.idleGroups, machine, began, time.Since(began), leftovers)
	if err := writeReport(c, md, b.logf); err != nil {
		return err
	}
	return runErr
}

// writeReport prints the report, and writes it to -out when given.
func writeReport(c *config, md string, logf func(string, ...any)) error {
	fmt.Print(md)
	if c.out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, []byte(md), 0o644); err != nil {
		return err
	}
	logf("report written to %s", c.out)
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}

// sweep kills any process still naming the run directory on its command line
// (every tool, child and daemon does) and reports what it found: nothing,
// when the tools were stopped properly.
func sweep(runDir string) []string {
	var found []string
	self := os.Getpid()
	for pid, s := range allProcs() {
		if pid == self {
			continue
		}
		cl := cmdline(pid)
		if strings.Contains(cl, runDir) || (s.ppid == self && !isZombie(pid)) {
			found = append(found, strconv.Itoa(pid)+" "+cl)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Reap whatever was re-parented to us.
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			break
		}
	}
	return found
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func describeMachine(c *config) []string {
	var model string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var mem string
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				mem = fmt.Sprintf("%.1f GiB", float64(parseKB(l))/1024/1024)
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	var osName string
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	out := func(name string, args ...string) string {
		b, err := exec.Command(name, args...).Output()
		if err != nil {
			return "not found"
		}
		return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	return []string{
		fmt.Sprintf("CPU: %s, %d cores", model, runtime.NumCPU()),
		"Memory: " + mem,
		fmt.Sprintf("Kernel: Linux %s (%s)", strings.TrimSpace(string(kernel)), osName),
		"Go: " + c.goVersion,
		// --version answers locally; it never starts or contacts a daemon.
		"Watchman: " + out("watchman", "--version"),
		"Python for Django: " + out("/usr/bin/python3", "--version") + "; Node.js: " + out("node", "--version"),
		"Load average (1, 5, 15 min) at the start: " + loadavg() + " (the machine may be shared; the ratios come from one interleaved run)",
	}
}

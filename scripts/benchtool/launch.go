//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one process the benchmark started, in its own process group, with
// its tree tracked so that stopping it reaches every descendant, including
// those that moved to a process group or session of their own.
type proc struct {
	cmd    *exec.Cmd
	tr     *tracker
	log    string
	exited chan struct{}
	err    error // set before exited closes
}

type spec struct {
	argv  []string
	dir   string
	env   []string // added to the benchmark's own environment
	stdin string   // file to read standard input from; empty means /dev/null
	log   string   // standard output and error go here
	// own is the tool's executable when its own memory is measured apart
	// from its tree's (tracker.ownExe).
	own string
}

func launch(s spec, smp *sampler, childExe string) (*proc, error) {
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if s.stdin != "" {
		in, err := os.Open(s.stdin)
		if err != nil {
			return nil, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	// Pdeathsig covers the case where the benchmark itself is killed hard.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(s.argv[0]), err)
	}
	p := &proc{cmd: cmd, tr: newTracker(cmd.Process.Pid, childExe, s.own), log: s.log, exited: make(chan struct{})}
	smp.add(p.tr)
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// failure describes an early exit: the exit status and the log's last line.
func (p *proc) failure() string {
	msg := "exited"
	if p.err != nil {
		msg = "exited: " + p.err.Error()
	}
	if last := lastLine(p.log); last != "" {
		msg += ": " + last
	}
	return msg
}

// stop sends SIGTERM to the tool's own process only, as `kill PID`, an IDE or
// a service manager would, and gives it grace to exit and take its children
// with it. It returns what went wrong: "" for a clean stop, else whether the
// tool ignored SIGTERM or which processes it left running. Then it SIGKILLs
// the process group and every process the tracker ever saw in the tree, and
// reaps those that were re-parented to us.
func (p *proc) stop(smp *sampler, grace time.Duration) (problem string) {
	smp.sampleNow()
	root := p.cmd.Process.Pid
	_ = syscall.Kill(root, syscall.SIGTERM)
	select {
	case <-p.exited:
		// Children told to stop may take a moment after their parent.
		deadline := time.Now().Add(time.Second)
		for len(p.survivors()) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		smp.sampleNow()
		if left := p.survivors(); len(left) > 0 {
			problem = fmt.Sprintf("left %d process(es) running after it exited on SIGTERM: %s",
				len(left), strings.Join(left, "; "))
		}
	case <-time.After(grace):
		problem = fmt.Sprintf("still running %v after SIGTERM", grace)
	}
	_ = syscall.Kill(-root, syscall.SIGKILL)
	for _, k := range p.tr.known() {
		if alive(k.pid, k.start) {
			_ = syscall.Kill(k.pid, syscall.SIGKILL)
		}
	}
	<-p.exited
	deadline := time.Now().Add(5 * time.Second)
	for _, k := range p.tr.known() {
		for alive(k.pid, k.start) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		// Orphans re-parented to us (we are a subreaper) are ours to reap.
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(k.pid, &ws, syscall.WNOHANG, nil)
	}
	smp.remove(p.tr)
	return problem
}

// survivors names the tracked processes, other than the root, still alive.
func (p *proc) survivors() []string {
	var out []string
	for _, k := range p.tr.known() {
		if k.pid != p.cmd.Process.Pid && alive(k.pid, k.start) {
			out = append(out, filepath.Base(strings.Fields(cmdline(k.pid) + " ?")[0]))
		}
	}
	return out
}

// daemon is a private Watchman server: its own socket, state, log and pid
// files under dir; never the default socket.
type daemon struct {
	*proc
	sock string
}

func startWatchman(dir string, smp *sampler) (*daemon, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "sock")
	p, err := launch(spec{
		argv: []string{"watchman", "--foreground", "--sockname=" + sock,
			"--statefile=" + filepath.Join(dir, "state"), "--logfile=" + filepath.Join(dir, "log"),
			"--pidfile=" + filepath.Join(dir, "pid"), "--no-save-state"},
		dir: dir,
		log: filepath.Join(dir, "out"),
	}, smp, "")
	if err != nil {
		return nil, err
	}
	d := &daemon{proc: p, sock: sock}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			return d, nil
		}
		if !p.running() || time.Now().After(deadline) {
			p.stop(smp, time.Second)
			return nil, errors.New("watchman did not answer on " + sock + ": " + p.failure())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readStamps returns the start times the children wrote, in order: one
// line each, Unix nanoseconds first (date +%s%N, or benchchild's "NS PID").
func readStamps(path string) []int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	var out []int64
	for _, line := range lines[:len(lines)-1] { // the last is a line being written, or ""
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out = append(out, ns)
		}
	}
	return out
}

func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	if len(last) > 160 {
		last = last[:160] + "…"
	}
	return last
}

// countLines counts the lines of a log that contain substr.
func countLines(path, substr string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), substr)
}

//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procStat is what one read of /proc/PID/stat tells about a process.
type procStat struct {
	pid, ppid int
	// ticks is utime+stime in clock ticks; the kernel derives it from its
	// precise runtime, so only the printing is rounded to a tick.
	ticks uint64
	// start (jiffies after boot) tells a process apart from a later one that
	// reuses its pid.
	start uint64
	// stack is the address of the bottom of the stack, which exec
	// randomises: a child with its parent's is a vfork child that has not
	// exec'd yet and shares the parent's memory (sharesMemory).
	stack uint64
}

// readStat parses /proc/PID/stat. The command name may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15,
	// starttime 22, startstack 28.
	if len(f) < 26 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	start, _ := strconv.ParseUint(f[19], 10, 64)
	stack, _ := strconv.ParseUint(f[25], 10, 64)
	return procStat{pid: pid, ppid: ppid, ticks: ut + st, start: start, stack: stack}, true
}

// sharesMemory reports whether s is a child its parent started with vfork
// (as Go's os/exec does) that has not exec'd yet: it runs in the parent's
// memory, so its VmHWM is the parent's and must not be counted twice.
func sharesMemory(s, parent procStat) bool {
	// Without address randomisation stacks may coincide: the command line,
	// read from the memory, tells.
	return s.stack != 0 && s.stack == parent.stack && cmdline(s.pid) == cmdline(parent.pid)
}

// allProcs reads every process's stat once: one consistent-enough picture of
// the parent links for the sampler's tree walks.
func allProcs() map[int]procStat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	procs := make(map[int]procStat, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok {
			procs[pid] = s
		}
	}
	return procs
}

// childrenOf indexes the parent links.
func childrenOf(procs map[int]procStat) map[int][]int {
	kids := make(map[int][]int, len(procs))
	for pid, s := range procs {
		kids[s.ppid] = append(kids[s.ppid], pid)
	}
	return kids
}

// subtree returns the roots and all their descendants that are alive.
func subtree(roots []int, procs map[int]procStat, kids map[int][]int) []int {
	var out []int
	seen := map[int]bool{}
	stack := append([]int(nil), roots...)
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if _, ok := procs[pid]; !ok {
			continue
		}
		out = append(out, pid)
		stack = append(stack, kids[pid]...)
	}
	return out
}

// memKB reads VmHWM (peak resident set) and VmRSS of a process in KiB.
func memKB(pid int) (hwm, rss uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "VmHWM:"):
			hwm = parseKB(line)
		case strings.HasPrefix(line, "VmRSS:"):
			rss = parseKB(line)
		}
	}
	// Kernel threads and zombies have no Vm lines.
	return hwm, rss, hwm > 0 || rss > 0
}

func parseKB(line string) uint64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	v, _ := strconv.ParseUint(f[1], 10, 64)
	return v
}

func exePath(pid int) string {
	p, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return p
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))
}

// alive reports whether pid is still the process that started at start (and
// not a zombie waiting to be reaped, which holds no resources).
func alive(pid int, start uint64) bool {
	s, ok := readStat(pid)
	if !ok || s.start != start {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// setSubreaper makes orphaned descendants re-parent to this process instead
// of init, so a tool that loses track of its child cannot hide it from the
// final sweep.
func setSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

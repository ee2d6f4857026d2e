package proctree

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// BecomeSubreaper makes the process the subreaper of its descendants: a
// process whose parent dies is re-parented to it instead of init, so it
// stays in its subtree, and its zombie is its to reap at once. Without it a
// tree is still found by its group; only descendants that leave the group
// are missed, so a failure is not fatal.
func BecomeSubreaper() { _, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0) }

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER (<linux/prctl.h>), which
// package syscall lacks. This package and the guard call the system
// through syscall, not golang.org/x/sys/unix: a guard starts from its
// package's initialisation, which waits for every package it imports, and
// x/sys/unix comes late in the program's initialisation order (see
// guard's Main).
const prSetChildSubreaper = 36

// ReadStat reads pid's line of /proc/PID/stat; ok is false when it is gone.
func ReadStat(pid int) (Stat, bool) { return readStat(pid, make([]byte, 1024)) }

// Snapshot reads every process's stat; processes that vanish meanwhile are
// left out.
func Snapshot() []Stat {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	procs := make([]Stat, 0, len(names))
	buf := make([]byte, 1024)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if p, ok := readStat(pid, buf); ok {
			procs = append(procs, p)
		}
	}
	return procs
}

// readStat parses "pid (comm) state ppid pgrp ...", where comm may itself
// hold spaces and parentheses, so fields are counted from the last ')'.
// It allocates next to nothing (a guard scans /proc during its stops, and
// its heap is to stay small): raw system calls into buf, and the fields
// it needs only.
func readStat(pid int, buf []byte) (Stat, bool) {
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return Stat{}, false
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return Stat{}, false
	}
	line := buf[:n]
	open, i := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	if open < 0 || i < open {
		return Stat{}, false
	}
	var fields [20][]byte // state, ppid, pgrp, … starttime (the 20th)
	rest, k := line[i+1:], 0
	for ; k < len(fields); k++ {
		rest = bytes.TrimLeft(rest, " \n")
		end := bytes.IndexAny(rest, " \n")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			break
		}
		fields[k], rest = rest[:end], rest[end:]
	}
	if k < len(fields) || len(fields[0]) != 1 {
		return Stat{}, false
	}
	ppid, err1 := strconv.Atoi(string(fields[1]))
	pgid, err2 := strconv.Atoi(string(fields[2]))
	start, err3 := strconv.ParseUint(string(fields[19]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Stat{}, false
	}
	return Stat{Pid: pid, PPid: ppid, Pgid: pgid, State: fields[0][0], Comm: string(line[open+1 : i]), Start: start}, true
}

// Parent is pid's parent, or 0 when it cannot be read.
func Parent(pid int) int {
	p, _ := ReadStat(pid)
	return p.PPid
}

// IgnoresSignal reports whether pid ignores sig, by the SigIgn mask of
// /proc/PID/status.
func IgnoresSignal(pid int, sig syscall.Signal) bool {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	_, rest, ok := bytes.Cut(status, []byte("\nSigIgn:\t"))
	if !ok {
		return false
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	mask, err := strconv.ParseUint(string(line), 16, 64)
	return err == nil && mask&(1<<(uint(sig)-1)) != 0
}

// Package mounts reads the mount table and says, for a directory, which
// filesystem holds it and what its kernel events are worth: trustworthy
// (a local filesystem, where every change goes through this kernel),
// remote (a network or host-shared filesystem, where a change made on the
// other side sends no event here), pseudo (proc, sysfs, devtmpfs...: never
// watched, their files change by themselves), or unknown (treated as remote:
// polling never loses a change).
//
// The type comes from /proc/self/mountinfo, not from statfs magic numbers,
// which cannot tell /dev (devtmpfs) from /dev/shm (tmpfs) and report every
// FUSE mount alike. The mount holding a path is the visible mount with the
// longest mount point above it: a mount hidden by a later one on the same
// point, or below an overmounted parent, is skipped. Paths are compared as
// given: callers pass absolute paths with symlinks resolved.
//
// Eden says whether a directory lies in an EdenFS checkout, which no
// watcher may list (see eden.go), by its .eden links or its mount type.
//
// Tests give a directory a fake type with Table.Fake; a binary built with
// the tag autoreload_faults also takes them from AUTORELOAD_FAULTS
// (fstype=/abs/dir:TYPE), for the end-to-end tests. Outside Linux, Load
// returns an empty table and ErrUnsupported.
package mounts

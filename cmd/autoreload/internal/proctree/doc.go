// Package proctree finds, signals and stops trees of processes.
//
// It holds the one reader of /proc/PID/stat (ReadStat, Snapshot), the
// subreaper switch that keeps a tree's orphans below the process that
// supervises it, and the one stop with a grace period (Stop): the stop
// signal, SIGKILL after the grace, until the tree reports itself gone. The
// supervisor, the guard and the build gate each say what their tree is
// (the Tree interface); the stop is the same for all.
//
// Where there is no /proc (macOS), a snapshot is empty and a tree is its
// process group.
package proctree

// Package deps knows which files COMMAND uses: the set a --deps-from
// source names, how to tell whether a changed path is in it, and the
// sources themselves: a shell command whose stdout lists paths (Shell),
// the Go preset that asks `go list -deps` (Go), and the channel on which
// COMMAND's own processes declare their files (Channel).
//
// A set names files (the file itself), directories (the files directly
// in them, a Go package) and subtrees (DIR/...). Sets are immutable once
// built; the Refresher runs a source again on demand, one run at a time
// with at most one more queued, so its owner sees a stream of Results.
//
// The package knows nothing of watching or restarting: the command
// judges changes against the sets and decides what to watch.
package deps

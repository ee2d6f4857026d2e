// Package testkit holds the test helpers that several packages' tests
// need, one per concern: writing a file (Write, Saves), waiting for a
// file's lines (WaitLines), counting a process's descriptors and inotify
// instances (OpenFiles, OpenFDs, InotifyFDs) and collecting what
// goroutines write (Buffer).
// Reading /proc/PID/stat is not here: that is
// cmd/autoreload/internal/proctree's, which tests below cmd/autoreload call.
//
// It sits under watchman/, the lowest layer, so that every package's tests
// may import it. Only tests import it (TestImportsGoOneWay), and it imports nothing of
// the project.
package testkit

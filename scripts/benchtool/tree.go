//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tree is a directory of Python files (every tool can be told to watch *.py,
// and autoreload watching everything then selects the same set), laid out as
// d*/s*/f*.py with at most 100 files per directory.
type tree struct {
	root  string
	files []string
	list  string // file holding the list, one path a line (for entr)
}

func makeTree(root string, n int) (*tree, error) {
	t := &tree{root: root, files: make([]string, n)}
	const perDir = 100
	for i := range t.files {
		t.files[i] = filepath.Join(root, fmt.Sprintf("d%03d", i/1000), fmt.Sprintf("s%d", i%1000/perDir), fmt.Sprintf("f%02d.py", i%perDir))
	}
	// Directory by directory, a few at once (inParallel). The files start
	// empty (no data blocks); changes give them content.
	var dirs []int
	for first := 0; first < n; first += perDir {
		dirs = append(dirs, first)
	}
	err := inParallel(dirs, func(first int) error {
		if err := os.MkdirAll(filepath.Dir(t.files[first]), 0o755); err != nil {
			return err
		}
		for _, f := range t.files[first:min(first+perDir, n)] {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.list = root + ".files"
	if err := os.WriteFile(t.list, []byte(strings.Join(t.files, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	return t, nil
}

// removeAll deletes a directory with a few workers, each taking one entry
// three levels down (run/trees/big/d*), for the same reason makeTree creates
// with several.
func removeAll(dir string) {
	parts := []string{dir}
	for range 3 {
		var next []string
		for _, p := range parts {
			entries, err := os.ReadDir(p)
			if err != nil { // a file: delete it as it is
				next = append(next, p)
			}
			for _, e := range entries {
				next = append(next, filepath.Join(p, e.Name()))
			}
		}
		parts = next
	}
	inParallel(parts, func(p string) error {
		_ = os.RemoveAll(p)
		return nil
	})
	_ = os.RemoveAll(dir)
}

// restamp waits for the next wall-clock second and gives every file of the
// tree that second as its times, with a few workers: a tool launched right
// after starts in the second its whole tree was last written, whichever
// tool it is and whenever its turn comes, unless stamping took a second or
// more (then it tries again, up to three times in all). The files' content
// stays; their mtime stays before the tool's start, so none is a change to
// it.
func (t *tree) restamp() (took time.Duration, err error) {
	for range 3 {
		if took, err = t.stampAt(time.Now().Truncate(time.Second).Add(time.Second)); err != nil || took < time.Second {
			break
		}
	}
	return took, err
}

func (t *tree) stampAt(sec time.Time) (time.Duration, error) {
	time.Sleep(time.Until(sec))
	err := inParallel(t.files, func(f string) error { return os.Chtimes(f, sec, sec) })
	return time.Since(sec), err
}

// inParallel calls do with each item from four goroutines, for file system
// calls, which on a virtual disk mostly wait: a few at once make 100,000
// take seconds, not a minute. After the first error, which it returns, the
// items left are skipped.
func inParallel[T any](items []T, do func(T) error) error {
	work := make(chan T)
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range work {
				if err := do(item); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	for _, item := range items {
		if failed.Load() != nil {
			break
		}
		work <- item
	}
	close(work)
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

// pick spreads successive trials over different directories.
func (t *tree) pick(i int) string {
	return t.files[(i*7919+13)%len(t.files)]
}

// touch rewrites a file with new content, so its size, mtime and contents
// all change, whatever a tool compares.
func touch(path string, seq int) error {
	return os.WriteFile(path, []byte(fmt.Sprintf("# change %d\n", seq)), 0o644)
}

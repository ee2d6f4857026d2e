//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	// Creating files costs a few hundred microseconds each on a virtual
	// disk, mostly waiting: a few writers at once make 100,000 take seconds,
	// not a minute. The files start empty (no data blocks); changes give them
	// content.
	dirs := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range dirs {
				if err := os.MkdirAll(filepath.Dir(t.files[first]), 0o755); err != nil {
					errs <- err
					return
				}
				for _, f := range t.files[first:min(first+perDir, n)] {
					if err := os.WriteFile(f, nil, 0o644); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	var err error
feed:
	for first := 0; first < n; first += perDir {
		select {
		case dirs <- first:
		case err = <-errs:
			break feed
		}
	}
	close(dirs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	select {
	case err := <-errs:
		return nil, err
	default:
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
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				_ = os.RemoveAll(p)
			}
		}()
	}
	for _, p := range parts {
		work <- p
	}
	close(work)
	wg.Wait()
	_ = os.RemoveAll(dir)
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

//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	t := &tree{root: root}
	perDir, perTop := 100, 1000
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", i/perTop), fmt.Sprintf("s%d", i%perTop/perDir))
		if i%perDir == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		f := filepath.Join(dir, fmt.Sprintf("f%02d.py", i%perDir))
		if err := os.WriteFile(f, []byte(fmt.Sprintf("# file %d\n", i)), 0o644); err != nil {
			return nil, err
		}
		t.files = append(t.files, f)
	}
	t.list = root + ".files"
	if err := os.WriteFile(t.list, []byte(strings.Join(t.files, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	return t, nil
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

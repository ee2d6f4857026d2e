package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman/spec"
)

// walkSelected walks what s selects, as the backends do: each watched file
// root that exists, and below each directory root every regular file and
// symlink the spec selects, pruning the directories it ignores. It calls
// visit for each directory walked and each file selected, in a stable
// order, until visit returns false or ctx ends. Unreadable directories are
// passed over, as the poller passes over them. An EdenFS checkout is never
// listed (listing fetches it): a root in one, or a mount of one below a
// root, is passed over too, and walkSelected returns those roots.
func walkSelected(ctx context.Context, s *spec.Spec, visit func(path string, dir bool) bool) (eden []string) {
	return walkRoots(s, visit, func(root string, skip []string) bool {
		return walkDir(ctx, s, root, root, "", skip, visit)
	})
}

// walkRoots is what walkSelected and countTree share: a file root that
// exists is visited, a directory root is walked with walk, which passes
// over skip, the EdenFS mounts below it, and a root in an EdenFS checkout
// is passed over and returned. It stops when visit or walk returns false.
func walkRoots(s *spec.Spec, visit func(path string, dir bool) bool, walk func(root string, skip []string) bool) (eden []string) {
	table, _ := mounts.Load() // without one, only the .eden links tell
	for _, root := range s.Roots() {
		if s.IsFileRoot(root) {
			if _, err := os.Lstat(root); err == nil && !visit(root, false) {
				return eden
			}
			continue
		}
		if mounts.Eden(table, root) {
			eden = append(eden, root)
			continue
		}
		if !walk(root, mounts.EdenBelow(table, root)) {
			return eden
		}
	}
	return eden
}

func walkDir(ctx context.Context, s *spec.Spec, root, dir, rel string, skip []string, visit func(string, bool) bool) bool {
	if ctx.Err() != nil || slices.Contains(skip, dir) {
		return ctx.Err() == nil
	}
	if !visit(dir, true) {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	w := s.WalkDir(root, rel)
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch t := e.Type(); {
		case t.IsDir():
			if w.SkipsDir(name) {
				continue
			}
			sub := name
			if rel != "" {
				sub = rel + "/" + name
			}
			if !walkDir(ctx, s, root, path, sub, skip, visit) {
				return false
			}
		case t.IsRegular() || t&os.ModeSymlink != 0:
			if w.SelectsEntry(name) && !visit(path, false) {
				return false
			}
		}
	}
	return true
}

// listFiles is --list: the selected files, relative to the working
// directory, one a line; a name that cannot be written on one line shows
// quoted, as the logs show it.
func listFiles(s *spec.Spec, w io.Writer) error {
	wd := workingDirs()
	var err error
	eden := walkSelected(context.Background(), s, func(path string, dir bool) bool {
		if !dir {
			_, err = fmt.Fprintln(w, display(relative(path, wd)))
		}
		return err == nil
	})
	if err == nil && len(eden) > 0 {
		return usagef("--list: %s is in an EdenFS checkout, which is never listed (listing fetches it); ask Watchman: watchman find %s", eden[0], eden[0])
	}
	return err
}

// maxCounted bounds the count of the watching line: past it the tree is
// big, which is all the line says, and counting on would delay it.
const maxCounted = 10000

// treeCount is how many files and directories are watched; at most
// maxCounted files are counted, and more is set when there are more.
type treeCount struct {
	files, dirs int
	more        bool
}

func countTree(s *spec.Spec) treeCount {
	var c treeCount
	l := poller.NewLister()
	walkRoots(s, func(string, bool) bool { return c.addFile() }, func(root string, skip []string) bool {
		return c.addDir(l, s, root, root, "", skip)
	})
	return c
}

// addFile counts a file; false once the bound is reached.
func (c *treeCount) addFile() bool {
	if c.files == maxCounted {
		c.more = true
		return false
	}
	c.files++
	return true
}

// addDir counts the directory dir and what it holds, as walkDir walks it,
// but listed the poller's way: the count runs at every start, and the
// entries, names and paths os.ReadDir and walkDir make (about 150 bytes a
// file) were most of autoreload's own memory on a large tree, garbage no
// collection had visited yet. Subdirectories are counted after the
// listing, whose names are views of the lister's buffer.
func (c *treeCount) addDir(l *poller.Lister, s *spec.Spec, root, dir, rel string, skip []string) bool {
	if slices.Contains(skip, dir) {
		return true
	}
	c.dirs++
	w := s.WalkDir(root, rel)
	var subdirs []string
	more := true
	_ = l.List(dir, func(name string, isDir bool) { // an unreadable directory is passed over
		switch {
		case !more:
		case isDir:
			if !w.SkipsDir(name) {
				subdirs = append(subdirs, strings.Clone(name))
			}
		case w.SelectsEntry(name):
			more = c.addFile()
		}
	})
	for _, name := range subdirs {
		if !more {
			break
		}
		sub := name
		if rel != "" {
			sub = rel + "/" + name
		}
		more = c.addDir(l, s, root, filepath.Join(dir, name), sub, skip)
	}
	return more
}

// include is one --pattern, --ext or --watch the user gave, with the spec
// that selects what it alone selects.
type include struct {
	flag, value string
	spec        *spec.Spec
}

// msgMatchesNoFile warns of a filter that selects no file at start (flag,
// value, hint).
const msgMatchesNoFile = "matches no file"

// warnUnmatched logs one warning for each --pattern, --ext and --watch
// that selects no file: such a filter is a mistake that otherwise passes
// in silence (-p '.txt' meant as an extension never restarts anything).
// It walks until every one has matched, so a usual start costs a few
// directories. The patterns in quiet (the side commands') are not the
// user's filters and get none.
func warnUnmatched(ctx context.Context, opts spec.Options, quiet []string, logger *slog.Logger) {
	var pending []include
	add := func(flag, value string, o spec.Options) {
		if s, err := spec.New(o); err == nil {
			pending = append(pending, include{flag, value, s})
		}
	}
	for _, p := range opts.Patterns {
		if slices.Contains(quiet, p) {
			continue
		}
		o := opts
		o.Patterns, o.Exts = []string{p}, nil
		add("-p", p, o)
	}
	for _, e := range opts.Exts {
		o := opts
		o.Patterns, o.Exts = nil, []string{e}
		add("-e", e, o)
	}
	if len(opts.Watch) > 1 || len(opts.Watch) == 1 && opts.Watch[0] != "." {
		for _, w := range opts.Watch {
			o := opts
			o.Watch = []string{w}
			add("-w", w, o)
		}
	}
	whole, err := spec.New(opts)
	if err != nil || len(pending) == 0 {
		return
	}
	walkSelected(ctx, whole, func(path string, dir bool) bool {
		if dir {
			return true
		}
		for i := 0; i < len(pending); i++ {
			if pending[i].spec.Selects(path) {
				pending = append(pending[:i], pending[i+1:]...)
				i--
			}
		}
		return len(pending) > 0
	})
	if ctx.Err() != nil {
		return
	}
	filterMissed := slices.ContainsFunc(pending, func(p include) bool { return p.flag != "-w" })
	for _, p := range pending {
		if p.flag == "-w" && filterMissed {
			continue // the filter that matches nothing is the news
		}
		attrs := []any{"flag", p.flag, "value", p.value}
		if hint := unmatchedHint(p.flag, p.value); hint != "" {
			attrs = append(attrs, "hint", hint)
		}
		logger.Warn(msgMatchesNoFile, attrs...)
	}
}

// unmatchedHint is the likely fix of a filter that matches nothing.
func unmatchedHint(flag, value string) string {
	plain := !strings.ContainsAny(value, "*?[{/")
	switch {
	case flag == "-p" && plain && strings.HasPrefix(value, ".") && len(value) > 1:
		return fmt.Sprintf("did you mean '*%s' or --ext %s?", value, value[1:])
	case flag == "-p" && plain:
		return fmt.Sprintf("did you mean '*.%s' or --ext %s, or '*%s*'?", value, value, value)
	case flag == "-p" && strings.Contains(strings.TrimSuffix(value, "/"), "/"):
		return "a pattern with '/' matches the path below the watched directory; '**/' in front matches at any depth"
	case flag == "-w":
		return "everything there is ignored or filtered out (see --list)"
	}
	return ""
}

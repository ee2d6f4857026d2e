package watchman

import (
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// Watchman 4.9 dies (SIGSEGV) when a command that fails names a path that
// is not UTF-8: it cannot put the path in its error message. Over BSER such
// paths reach it exactly (over JSON they arrive mangled and merely fail), so
// before a request names one — a root, a watch, a relative_root — the path
// must exist: a root deleted meanwhile is reported here instead of taking
// the daemon, and every other client of it, down. A path deleted between
// this check and the daemon's reading of the request still can.

// checkPaths returns an error for the first path in args that is absolute,
// not valid UTF-8, and gone. args are a request's arguments: the command,
// then paths and objects; a query's relative_root is taken below the
// request's watch.
func checkPaths(args []any) error {
	var watch string
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if i == 0 || !filepath.IsAbs(v) {
				continue
			}
			if watch == "" {
				watch = v
			}
			if err := checkPath(v); err != nil {
				return err
			}
		case map[string]any:
			if rel, ok := v["relative_root"].(string); ok && watch != "" {
				if err := checkPath(filepath.Join(watch, rel)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkPath(p string) error {
	if utf8.ValidString(p) {
		return nil
	}
	if _, err := os.Stat(p); err != nil {
		return &CommandError{Msg: fmt.Sprintf("%q: %v (not sent: Watchman 4.9 crashes on a failing command naming a path that is not UTF-8)",
			p, unwrapPathError(err))}
	}
	return nil
}

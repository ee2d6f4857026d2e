package ignorefile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// GlobalExcludes returns the user's global excludes file as git would
// read it for the repository holding dir: core.excludesFile from git's own
// configuration (system, global, XDG, the repository's, with includes and
// "~" expanded), else $XDG_CONFIG_HOME/git/ignore, else
// $HOME/.config/git/ignore. Git is asked rather than its configuration
// parsed here, since only git knows every place it reads. Without a git
// binary the default path is used.
func GlobalExcludes(dir string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "config", "--includes", "--path", "--get", "core.excludesFile")
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		if path := strings.TrimRight(string(out), "\r\n"); path != "" {
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path) // as git does, relative to the work tree
			}
			return path
		}
	}
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		return filepath.Join(xdg, "git", "ignore")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".config", "git", "ignore")
	}
	return ""
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/projectfile"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/socket"
	"github.com/autoreload/autoreload/watchman/spec"
)

// project is what the configuration takes from a project file
// (.autoreload.toml): its flags go into config's own fields; what depends
// on the file's directory is kept here until the roots are known.
type project struct {
	configPath string // --config
	noConfig   bool   // --no-config
	// projectFile is the file in use, nil when none is.
	projectFile *projectfile.File
	// fileIgnores are the file's ignore patterns holding a '/' before
	// their end (not only "dir/"), so anchored: relative
	// to the file's directory, not to each watched root.
	fileIgnores []string
	// buildDir is where a --build from the file runs ("" for the working
	// directory): the file's build line names paths of the project.
	buildDir string
	// sideCommands are the file's [[on]] tables; sidePatterns their
	// patterns, watched beside --pattern and --ext.
	sideCommands []sideCommand
	sidePatterns []string
}

// sideCommandKeys are the keys of an [[on]] table.
var sideCommandKeys = []string{"pattern", "run"}

// notFileKeys are the flags a project file cannot set: they choose the
// file, or are about this one run.
var notFileKeys = []string{"help", "version", "config", "no-config", "list"}

// commandKey is COMMAND in a project file.
const commandKey = "command"

// readProjectFile finds the project file (unless --no-config) and sets
// from it each flag that neither the command line nor the environment
// (fromEnv) set, and COMMAND when the command line gives none.
func (c *config) readProjectFile(flags *pflag.FlagSet, fromEnv map[string]bool) error {
	if c.noConfig {
		return nil
	}
	path := c.configPath
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil // no working directory: no file to look for
		}
		if path = projectfile.Find(wd); path == "" {
			return nil
		}
	}
	f, err := projectfile.Load(path)
	if err != nil {
		var pe *projectfile.Error
		if errors.As(err, &pe) {
			return &usageError{err}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("--config %s: no such file", path)
		}
		return usagef("project file %s: %v", path, err)
	}
	c.projectFile = f
	var keys []string
	flags.VisitAll(func(fl *pflag.Flag) {
		if !slices.Contains(notFileKeys, fl.Name) {
			keys = append(keys, fl.Name)
		}
	})
	keys = append(keys, commandKey)
	watchSet := false
	for _, s := range f.Settings {
		if !slices.Contains(keys, s.Key) {
			return fileErrorf(f, s.Line, "unknown key %q%s", s.Key, didYouMean(s.Key, keys))
		}
		if s.Key == commandKey {
			words, err := stringsOf(s.Value, false)
			if err == nil && len(words) == 0 {
				err = errors.New("empty")
			}
			if err != nil || words[0] == "" {
				return fileErrorf(f, s.Line, `command: want a list of words, as command = ["go", "run", "."]`)
			}
			if len(c.command) == 0 {
				c.command = slices.Clone(words)
				if strings.Contains(words[0], "/") {
					c.command[0] = fromFileDir(f, words[0])
				}
			}
			continue
		}
		fl := flags.Lookup(s.Key)
		watchSet = watchSet || s.Key == "watch"
		if fl.Changed || fromEnv[fl.Name] {
			continue // the command line and the environment win
		}
		if err := c.setFromFile(f, fl, s); err != nil {
			return err
		}
	}
	for _, on := range f.On {
		sc, err := readSideCommand(f, on)
		if err != nil {
			return err
		}
		c.sideCommands = append(c.sideCommands, sc)
	}
	if fl := flags.Lookup("watch"); !watchSet && !fl.Changed && !fromEnv["watch"] {
		// The project, wherever in it autoreload starts.
		c.watch = []string{f.Dir()}
	}
	return nil
}

// readSideCommand reads an [[on]] table: pattern and run, both strings.
func readSideCommand(f *projectfile.File, on projectfile.Action) (sideCommand, error) {
	sc := sideCommand{dir: f.Dir(), line: on.Line}
	for _, s := range on.Settings {
		if !slices.Contains(sideCommandKeys, s.Key) {
			return sc, fileErrorf(f, s.Line, "unknown key %q in [[on]]%s", s.Key, didYouMean(s.Key, sideCommandKeys))
		}
		if s.Value.Kind != projectfile.String || strings.TrimSpace(s.Value.String) == "" {
			return sc, fileErrorf(f, s.Line, "%s: want a string that is not blank", s.Key)
		}
		if s.Key == "pattern" {
			sc.pattern = s.Value.String
		} else {
			sc.run = s.Value.String
		}
	}
	if sc.pattern == "" || sc.run == "" {
		return sc, fileErrorf(f, on.Line, `[[on]] needs pattern and run: pattern = "*.templ", run = "templ generate"`)
	}
	if _, err := spec.New(spec.Options{Watch: []string{sc.dir}, Patterns: []string{sc.pattern}}); err != nil {
		return sc, fileErrorf(f, on.Line, "[[on]] pattern: %v", err)
	}
	return sc, nil
}

// setFromFile sets the flag fl from the file's setting s.
func (c *config) setFromFile(f *projectfile.File, fl *pflag.Flag, s projectfile.Setting) error {
	var values []string
	var err error
	switch fl.Value.Type() {
	case "bool":
		if s.Value.Kind != projectfile.Bool {
			err = fmt.Errorf("want true or false, not %s", s.Value.Kind)
		}
		values = []string{s.Value.String}
	case "stringArray", "sockets", "commands": // commands: --deps-from
		values, err = stringsOf(s.Value, true)
	case "clear": // a string or a boolean
		values = []string{s.Value.String}
	case "duration":
		if s.Value.Kind != projectfile.String {
			err = fmt.Errorf("%w (a string), not %s", errDurationSyntax, s.Value.Kind)
		}
		values = []string{s.Value.String}
	default:
		if s.Value.Kind != projectfile.String {
			err = fmt.Errorf("want a string, not %s", s.Value.Kind)
		}
		values = []string{s.Value.String}
	}
	if err != nil {
		return fileErrorf(f, s.Line, "%s: %v", s.Key, err)
	}
	for _, v := range values {
		switch {
		case fl.Name == "watch" && v != "":
			v = fromFileDir(f, v)
		case fl.Name == "ignore" && strings.Contains(strings.TrimSuffix(v, "/"), "/"):
			// Matched relative to each watched root, which only the
			// whole configuration knows: see resolveProjectPaths.
			c.fileIgnores = append(c.fileIgnores, v)
			continue
		case fl.Name == "build":
			c.buildDir = f.Dir()
		case fl.Name == "socket":
			if a, err := socket.Parse(v); err == nil && a.Network == "unix" && !filepath.IsAbs(a.Address) {
				a.Address = fromFileDir(f, a.Address)
				v = a.String()
			}
		}
		if err := fl.Value.Set(v); err != nil {
			return fileErrorf(f, s.Line, "%s = %q: %v", s.Key, v, err)
		}
	}
	return nil
}

// fileErrorf is a usage error at line of the file f.
func fileErrorf(f *projectfile.File, line int, format string, args ...any) error {
	return &usageError{f.Errorf(line, format, args...)}
}

// stringsOf is a list of strings; one string counts as a list of one when
// single is set.
func stringsOf(v projectfile.Value, single bool) ([]string, error) {
	switch {
	case v.Kind == projectfile.String && single:
		return []string{v.String}, nil
	case v.Kind != projectfile.Array:
		return nil, fmt.Errorf("want a list of strings, not %s", v.Kind)
	}
	out := make([]string, len(v.Items))
	for i, it := range v.Items {
		if it.Kind != projectfile.String {
			return nil, fmt.Errorf("want a list of strings, not a list holding %s", it.Kind)
		}
		out[i] = it.String
	}
	return out, nil
}

// fromFileDir resolves the relative path p against the file's directory.
func fromFileDir(f *projectfile.File, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.Dir(), p)
}

// didYouMean is "; did you mean "x"?" for the key nearest to key, or "".
func didYouMean(key string, keys []string) string {
	if meant := closest(key, keys); meant != "" {
		return fmt.Sprintf("; did you mean %q?", meant)
	}
	return ""
}

// resolveProjectPaths turns the file's ignore patterns holding a '/'
// (relative to its directory) into patterns relative to the watched
// roots, as the spec matches them.
func (c *config) resolveProjectPaths() error {
	if len(c.fileIgnores) == 0 && len(c.sideCommands) == 0 {
		return nil
	}
	var roots []string
	for _, w := range c.watch {
		abs, err := filepath.Abs(w)
		if err != nil {
			return usagef("watch %s: %v", w, err)
		}
		roots = append(roots, abs)
	}
	for _, p := range c.fileIgnores {
		for _, q := range rebasePattern(p, c.projectFile.Dir(), roots) {
			if !slices.Contains(c.ignores, q) {
				c.ignores = append(c.ignores, q)
			}
		}
	}
	c.fileIgnores = nil
	// With --pattern or --ext, the side commands' files must be watched
	// too: they are what their commands wait for.
	if len(c.patterns)+len(c.exts) > 0 {
		for _, sc := range c.sideCommands {
			qs := []string{sc.pattern}
			if strings.Contains(strings.TrimSuffix(sc.pattern, "/"), "/") {
				qs = rebasePattern(sc.pattern, sc.dir, roots)
			}
			for _, q := range qs {
				if !slices.Contains(c.sidePatterns, q) {
					c.sidePatterns = append(c.sidePatterns, q)
				}
			}
		}
	}
	return nil
}

// rebasePattern turns pattern, which holds a '/' and so matches paths
// relative to base, into the patterns that match the same paths relative
// to each of roots. A pattern that starts with **/ matches at any depth
// and stays as it is. For a root below base, a pattern naming the root's
// path is cut to what follows it (src/gen/** becomes /gen/** for the root
// src), and one naming another path matches nothing there; for a root
// above base, base's path is put in front. Patterns go to the spec, which
// applies all of them to every root: with several roots, a cut pattern
// may also match below another root (/gen/** in lib as well).
func rebasePattern(pattern, base string, roots []string) []string {
	p := strings.TrimPrefix(pattern, "/")
	var out []string
	add := func(q string) {
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	for _, root := range roots {
		rel, err := filepath.Rel(base, root)
		switch {
		case err != nil:
		case rel == "." || strings.HasPrefix(p, "**/"):
			add("/" + p)
		case rel != ".." && !strings.HasPrefix(rel, "../"):
			if rest, ok := strings.CutPrefix(p, filepath.ToSlash(rel)+"/"); ok && rest != "" {
				add("/" + rest)
			}
		default:
			if up, err := filepath.Rel(root, base); err == nil && !strings.HasPrefix(up, "..") {
				add("/" + escapeGlob(filepath.ToSlash(up)) + "/" + p)
			}
		}
	}
	return out
}

// escapeGlob makes s match itself as a wildmatch pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

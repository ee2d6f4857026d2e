// Package projectfile finds and reads a project's .autoreload.toml: the
// flags a project always runs with, its COMMAND and its side commands, each
// value with the line it is on, so that a bad one can be named. What the
// keys mean is the command's business; this package knows TOML and where
// the file is.
package projectfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Name is the project file's name.
const Name = ".autoreload.toml"

// File is a project file, read.
type File struct {
	Path     string    // absolute
	Settings []Setting // top-level keys, in the file's order
	On       []Action  // the [[on]] tables, in order
}

// Dir is the directory holding the file: relative paths in it start there.
func (f *File) Dir() string { return filepath.Dir(f.Path) }

// Setting is one key = value.
type Setting struct {
	Key   string
	Line  int
	Value Value
}

// Value is a TOML value as the command needs it: a string, a bool, or a
// list of values; any other kind is kept by name, for an error.
type Value struct {
	Kind   Kind
	String string  // a String's text; a Bool's "true" or "false"
	Items  []Value // an Array's elements
}

// Kind is what a Value holds.
type Kind string

// The kinds of value, named as an error message names them.
const (
	String Kind = "a string"
	Bool   Kind = "a boolean"
	Array  Kind = "a list"
	Number Kind = "a number"
	Date   Kind = "a date or time"
	Table  Kind = "a table"
)

// Action is one [[on]] table: its keys, as Settings.
type Action struct {
	Line     int
	Settings []Setting
}

// Error is a problem with a project file, at a line (0 when the file as a
// whole is at fault).
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return shown(e.Path) + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", shown(e.Path), e.Line, e.Msg)
}

// shown is path as a person finds it from the working directory: relative
// when that is shorter.
func shown(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && len(rel) < len(path) {
		return rel
	}
	return path
}

// Errorf makes an Error for the file at line.
func (f *File) Errorf(line int, format string, args ...any) error {
	return &Error{Path: f.Path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Find returns the project file of dir: the Name in dir or in the nearest
// of its parents, up to the top of the repository holding dir (a directory
// with .git, .hg or .svn); outside a repository only dir itself counts, so
// that a file in the home directory does not reach every project below it.
// "" when there is none. A directory that cannot be read is passed over:
// it must not stop autoreload where no project file is wanted.
func Find(dir string) string {
	top := repositoryTop(dir)
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, Name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		if top == "" || d == top || filepath.Dir(d) == d {
			return ""
		}
	}
}

// repositoryTop returns the nearest of dir and its parents holding a VCS
// directory, or "".
func repositoryTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		for _, m := range []string{".git", ".hg", ".svn"} {
			if _, err := os.Lstat(filepath.Join(d, m)); err == nil {
				return d
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Load reads the file at path (made absolute).
func Load(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	return Parse(abs, data)
}

// Parse reads data, the file at path.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	// The decoder checks the document as a whole (syntax, a key given
	// twice); the parser's tree then gives each key its line.
	var whole map[string]any
	if err := toml.Unmarshal(data, &whole); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return nil, f.Errorf(line, "%s", de.Error())
		}
		return nil, f.Errorf(0, "%v", err)
	}
	var p unstable.Parser
	p.Reset(data)
	var table *Action // the [[on]] being filled; nil at the top
	for p.NextExpression() {
		n := p.Expression()
		line := lineOf(&p, n)
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			key := keyOf(n)
			if n.Kind != unstable.ArrayTable || key != "on" {
				return nil, f.Errorf(line, "unknown table [%s]; the only table is [[on]] (a side command)", key)
			}
			f.On = append(f.On, Action{Line: line})
			table = &f.On[len(f.On)-1]
		case unstable.KeyValue:
			s := Setting{Key: keyOf(n), Line: line, Value: valueOf(n.Value())}
			if table == nil {
				f.Settings = append(f.Settings, s)
			} else {
				table.Settings = append(table.Settings, s)
			}
		}
	}
	if err := p.Error(); err != nil {
		return nil, f.Errorf(0, "%v", err) // the decoder would have said where
	}
	return f, nil
}

// lineOf is the line an expression starts on. A table header's own
// range is not kept: its key's is.
func lineOf(p *unstable.Parser, n *unstable.Node) int {
	r := n.Raw
	if r.Length == 0 {
		if it := n.Key(); it.Next() {
			r = it.Node().Raw
		}
	}
	return p.Shape(r).Start.Line
}

// keyOf joins a key's parts with '.', as the file writes a dotted key.
func keyOf(n *unstable.Node) string {
	var parts []string
	for it := n.Key(); it.Next(); {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

func valueOf(n *unstable.Node) Value {
	switch n.Kind {
	case unstable.String:
		return Value{Kind: String, String: string(n.Data)}
	case unstable.Bool:
		return Value{Kind: Bool, String: string(n.Data)}
	case unstable.Array:
		v := Value{Kind: Array}
		for c := n.Child(); c.Valid(); c = c.Next() {
			if c.Kind == unstable.Comment {
				continue
			}
			v.Items = append(v.Items, valueOf(c))
		}
		return v
	case unstable.Integer, unstable.Float:
		return Value{Kind: Number}
	case unstable.InlineTable:
		return Value{Kind: Table}
	}
	return Value{Kind: Date}
}

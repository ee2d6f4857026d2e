package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
)

// newLogger logs to w: one JSON object a line, or short text lines prefixed
// "autoreload:" for people, coloured when w is a terminal and NO_COLOR is
// unset.
func newLogger(cfg *config, w io.Writer, lookupEnv func(string) (string, bool)) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case cfg.verbose:
		level = slog.LevelDebug
	case cfg.quiet:
		level = slog.LevelWarn
	}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				a.Value = displayValue(a.Value)
				return a
			}}))
	}
	noColor, _ := lookupEnv("NO_COLOR")
	return slog.New(&textHandler{w: w, mu: new(sync.Mutex), level: level,
		color: noColor == "" && isTerminal(w), wd: workingDirs()})
}

// maxTextPaths is how many paths a "changed" line of the text log names;
// it says how many more there are. (The JSON log lists up to
// maxLoggedPaths, with the full count.)
const maxTextPaths = 5

// workingDirs is the working directory as the shell names it and as the
// kernel does (symlinks resolved): the roots may be either.
func workingDirs() []string {
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	dirs := []string{wd}
	if real, err := filepath.EvalSymlinks(wd); err == nil && real != wd {
		dirs = append(dirs, real)
	}
	return dirs
}

// relative shows path relative to the first of dirs it is under, "." for
// the directory itself; a path under none stays absolute.
func relative(path string, dirs []string) string {
	for _, d := range dirs {
		if path == d {
			return "."
		}
		if rest, ok := strings.CutPrefix(path, d); ok && d != "" {
			if d == "/" {
				return rest
			}
			if rel, ok := strings.CutPrefix(rest, "/"); ok && rel != "" {
				return rel
			}
		}
	}
	return path
}

// display shows a string in a log line. Paths are bytes, and a path that is
// not valid UTF-8 or holds a character that does not print is shown quoted
// and escaped, as Go writes it ("bad\xff.txt"): the text log then carries
// no terminal escapes, the JSON log stays valid, and names that differ only
// in such bytes stay apart (JSON alone would turn each into U+FFFD).
// COMMAND gets the exact bytes; only the logs show this form.
func display(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// displayValue applies display to strings, lists of strings and errors.
func displayValue(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		if d := display(v.String()); d != v.String() {
			return slog.StringValue(d)
		}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case []string:
			var out []string
			for i, s := range x {
				if d := display(s); d != s {
					if out == nil {
						out = slices.Clone(x)
					}
					out[i] = d
				}
			}
			if out != nil {
				return slog.AnyValue(out)
			}
		case error:
			if d := display(x.Error()); d != x.Error() {
				return slog.StringValue(d)
			}
		}
	}
	return v
}

// isTerminal is a cheap guess: a character device. A false positive such
// as /dev/null only colours what nobody reads.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// textHandler writes the messages people read: "autoreload: watching /src
// (stat)". Known messages get a sentence; others their attributes as k=v.
type textHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Level
	color bool
	wd    []string // the working directory: paths under it are shown relative
	attrs []slog.Attr
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &h2
}

// WithGroup flattens groups: text lines have no room for them.
func (h *textHandler) WithGroup(string) slog.Handler { return h }

const (
	ansiReset  = "\x1b[0m"
	ansiPrefix = "\x1b[36m" // cyan
	ansiWarn   = "\x1b[33m" // yellow
	ansiError  = "\x1b[31m" // red
)

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]slog.Value{}
	var order []string
	add := func(a slog.Attr) {
		if _, ok := attrs[a.Key]; !ok {
			order = append(order, a.Key)
		}
		v := a.Value.Resolve()
		if list, ok := v.Any().([]string); ok && (a.Key == "paths" || a.Key == "roots") {
			if r.Message == "changed" {
				list = list[:min(len(list), maxTextPaths)]
			}
			rel := make([]string, len(list))
			for i, p := range list {
				rel[i] = relative(p, h.wd)
			}
			v = slog.AnyValue(rel)
		}
		if r.Message == msgPanic && a.Key == "stack" {
			attrs[a.Key] = v // many lines, shown as they are
			return
		}
		attrs[a.Key] = displayValue(v)
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })

	text := sentence(r.Message, attrs, order)
	var b strings.Builder
	if h.color {
		b.WriteString(ansiPrefix + "autoreload:" + ansiReset + " ")
		switch {
		case r.Level >= slog.LevelError:
			text = ansiError + text + ansiReset
		case r.Level >= slog.LevelWarn:
			text = ansiWarn + text + ansiReset
		}
	} else {
		b.WriteString("autoreload: ")
	}
	b.WriteString(text)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// sentence renders a message and its attributes in the words of the JSON
// log, so both read the same.
func sentence(msg string, attrs map[string]slog.Value, order []string) string {
	str := func(k string) string { return fmt.Sprint(attrs[k].Any()) }
	list := func(k string) string {
		if v, ok := attrs[k].Any().([]string); ok {
			return strings.Join(v, ", ")
		}
		return str(k)
	}
	has := func(k string) bool { _, ok := attrs[k]; return ok }
	done := map[string]bool{}
	var s string
	switch msg {
	case "watching":
		s = fmt.Sprintf("watching %s (%s)", list("roots"), str("reloader"))
		done["roots"], done["reloader"] = true, true
	case "changed":
		s = "changed " + list("paths")
		if n, ok := attrs["count"].Any().(int64); ok {
			if shown, ok := attrs["paths"].Any().([]string); ok && int(n) > len(shown) {
				s += fmt.Sprintf(" and %d more", int(n)-len(shown))
			}
		}
		if attrs["unknown"].Any() == true {
			s = "changed (unknown changes, restarting) " + list("paths")
		}
		done["paths"], done["count"], done["unknown"] = true, true, true
	case supervisor.MsgStarted:
		s = "started pid " + str("pid")
	case supervisor.MsgExited:
		// A stop for a restart reads apart from COMMAND ending by itself.
		verb := "exited"
		if attrs["stopped"].Any() == true {
			verb = "stopped"
		}
		if has("signal") {
			s = fmt.Sprintf("%s pid %s by %s", verb, str("pid"), str("signal"))
		} else {
			s = fmt.Sprintf("%s pid %s with code %s", verb, str("pid"), str("code"))
		}
		switch str("then") {
		case "wait":
			s += "; waiting for changes"
		case "restart":
			s += "; restarting"
			if has("delay") {
				s += " in " + str("delay")
			}
		}
		done["signal"], done["code"], done["stopped"], done["then"], done["delay"] = true, true, true, true, true
	case "fallback":
		s = fmt.Sprintf("fallback to %s: %s", str("reloader"), str("error"))
		done["reloader"], done["error"] = true, true
	case "root deleted":
		s = fmt.Sprintf("root deleted %s (%s until it is back)", list("roots"), str("reloader"))
		done["roots"], done["reloader"] = true, true
	case "unknown variable":
		s = "unknown variable " + str("name") + " ignored"
		if has("meant") {
			s += "; did you mean " + str("meant") + "?"
		} else {
			s += " (autoreload --help lists the variables)"
		}
		done["name"], done["meant"] = true, true
	case supervisor.MsgFailed:
		s = str("error")
		done["error"] = true
	case supervisor.MsgBuild:
		s = "building"
	case supervisor.MsgBuilt:
		s = "built in " + str("duration")
		done["duration"] = true
	case supervisor.MsgBuildFailed:
		switch {
		case has("signal"):
			s = "build failed (" + str("signal") + ")"
		case has("code"):
			s = "build failed (exit " + str("code") + ")"
		default:
			s = "build failed: " + str("error")
		}
		if has("pid") {
			s += "; still running the previous build, pid " + str("pid")
		} else {
			s += "; nothing runs until a build succeeds"
		}
		done["signal"], done["code"], done["error"], done["pid"] = true, true, true, true
	case supervisor.MsgBuildCancelled:
		s = "build cancelled"
	case supervisor.MsgBuildLoop:
		s = "build loop: " + str("hint")
		done["hint"], done["count"] = true, true
	case "listening":
		s = "listening on " + list("addrs")
		done["addrs"] = true
	case msgPanic:
		s = "panic: " + str("error") + "\n" + strings.TrimRight(str("stack"), "\n")
		done["error"], done["stack"] = true, true
	case supervisor.MsgGuardLost:
		how := "with code " + str("code")
		if has("signal") {
			how = "by " + str("signal")
		}
		s = fmt.Sprintf("guard lost: the guard of pid %s ended %s; its tree is stopped", str("pid"), how)
		if str("then") == "restart" {
			s += " and COMMAND started again"
		}
		done["signal"], done["code"], done["then"], done["guard"] = true, true, true, true
	case supervisor.MsgRestartLoop:
		s = "restart loop: " + list("paths") + ": " + str("hint")
		done["paths"], done["hint"], done["count"] = true, true, true
	default:
		s = msg
	}
	done["pid"] = done["pid"] || strings.HasPrefix(s, "started") || msg == supervisor.MsgExited
	for _, k := range order {
		if !done[k] {
			s += " " + k + "=" + list(k)
		}
	}
	return s
}

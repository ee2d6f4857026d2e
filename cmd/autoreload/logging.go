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
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/fallback"
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
		if list, ok := v.Any().([]string); ok && (a.Key == "paths" || a.Key == "roots" || a.Key == "poll_only") {
			if r.Message == msgChanged || r.Message == msgRunning || r.Message == msgNotUsed {
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
		if v.Kind() == slog.KindDuration {
			v = slog.StringValue(humanDuration(v.Duration()))
		} else if d, err := time.ParseDuration(v.String()); err == nil && (a.Key == "delay" || a.Key == "duration") {
			v = slog.StringValue(humanDuration(d))
		}
		if a.Key == "config" {
			v = slog.StringValue(relative(v.String(), h.wd))
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
	case fallback.MsgWatching:
		s = watchingSentence(attrs, str, list, has)
		for _, k := range []string{"roots", "reloader", "events", "watched_dirs", "poll_only", "poll_interval",
			"reason", "files", "dirs", "more_files", "patterns", "ignores", "config", "deps", "deps_outside"} {
			done[k] = true
		}
	case msgChanged:
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
	case fallback.MsgFallback:
		s = fmt.Sprintf("fallback to %s: %s", str("reloader"), str("error"))
		done["reloader"], done["error"] = true, true
	case fallback.MsgEdenCheckout:
		s = "Eden checkout: " + str("hint")
		if n, _ := attrs["polled"].Any().(int64); n > 0 {
			s += fmt.Sprintf("; polling the %d files of the --deps-from set meanwhile", n)
		} else {
			s += "; nothing there is watched meanwhile"
		}
		done["hint"], done["polled"], done["roots"] = true, true, true
	case fallback.MsgRootDeleted:
		s = fmt.Sprintf("root deleted %s (%s until it is back)", list("roots"), str("reloader"))
		done["roots"], done["reloader"] = true, true
	case msgUnknownVariable:
		s = "unknown variable " + str("name") + " ignored"
		if has("meant") {
			s += "; did you mean " + str("meant") + "?"
		} else {
			s += " (autoreload --help lists the variables)"
		}
		done["name"], done["meant"] = true, true
	case msgRunning:
		s = "running " + str("run") + " for " + list("paths")
		done["run"], done["paths"] = true, true
	case msgRan:
		s = "ran " + str("run") + " in " + str("duration")
		done["run"], done["duration"] = true, true
	case msgSideFailed:
		switch {
		case has("signal"):
			s = "side command failed (" + str("signal") + "): " + str("run")
		case has("code"):
			s = "side command failed (exit " + str("code") + "): " + str("run")
		default:
			s = "side command failed: " + str("run") + ": " + str("error")
		}
		done["run"], done["signal"], done["code"], done["error"] = true, true, true, true
	case msgOwnReloader:
		s = "COMMAND runs its own reloader under autoreload's, which makes each restart slower: " + str("hint")
		done["hint"] = true
	case msgMatchesNoFile:
		s = fmt.Sprintf("%s '%s' matches no file", str("flag"), str("value"))
		if has("hint") {
			s += "; " + str("hint")
		}
		done["flag"], done["value"], done["hint"] = true, true, true
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
	case msgDeps:
		if has("error") {
			s = "deps failed, so every change counts until it succeeds: " + str("error")
		} else {
			took := str("duration")
			if d, ok := attrs["duration"].Any().(time.Duration); ok && d > time.Millisecond {
				took = d.Round(time.Millisecond).String()
			}
			s = fmt.Sprintf("deps: %s paths from %s in %s", str("count"), str("from"), took)
		}
		done["error"], done["count"], done["from"], done["duration"] = true, true, true, true
	case msgNotUsed:
		s = "not used by COMMAND: " + list("paths")
		done["paths"], done["count"] = true, true
	case msgListening:
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
	case supervisor.MsgTerminalStop:
		s = fmt.Sprintf("pid %s stopped by %s: %s", str("pid"), str("signal"), str("hint"))
		done["pid"], done["signal"], done["hint"] = true, true, true
	case msgPid:
		s = fmt.Sprintf("pid %s (kill -USR1 %[1]s restarts COMMAND)", str("pid"))
		done["pid"] = true
	case msgKeys:
		s = "keys: " + str("keys")
		done["keys"] = true
	case msgNoKeys:
		s = "no keys (-I): " + str("reason")
		done["reason"] = true
	case msgNotifyOff:
		s = "no notifications (--notify): " + str("error")
		done["error"] = true
	case msgPostponed:
		s = "COMMAND starts on the first change (--postpone)"
	case supervisor.MsgRestartLoop:
		s = "restart loop: " + list("paths") + ": " + str("hint")
		done["paths"], done["hint"], done["count"] = true, true, true
	default:
		s = msg
	}
	done["pid"] = done["pid"] || msg == supervisor.MsgStarted || msg == supervisor.MsgExited
	for _, k := range order {
		if !done[k] {
			s += " " + k + "=" + list(k)
		}
	}
	return s
}

// humanDuration rounds d as a person reads it: 719ms, 1.2s, 1m5s.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// bigTree is how many files make the hint to install Watchman worth
// giving: below it the poller's scans cost little.
const bigTree = 5000

// watchingSentence says what is watched and how: "watching src, lib with
// the stat poller (kernel events): 120 files in 14 directories; only *.go;
// ignoring *.log".
func watchingSentence(attrs map[string]slog.Value, str, list func(string) string, has func(string) bool) string {
	roots := list("roots")
	if v, ok := attrs["roots"].Any().([]string); ok && len(v) > maxTextPaths {
		// The paths outside the roots a --deps-from set names may be many.
		roots = fmt.Sprintf("%s and %d more", strings.Join(v[:maxTextPaths], ", "), len(v)-maxTextPaths)
	}
	s := "watching " + roots
	if attrs["deps_outside"].Any() == true {
		s = "watching outside --watch, for --deps-from, " + roots
	}
	stat := str("reloader") == "stat"
	if !stat {
		s += " with " + str("reloader")
	} else {
		how := "polling every " + str("poll_interval")
		if attrs["events"].Any() == true {
			how = "kernel events"
			if only, _ := attrs["poll_only"].Any().([]string); len(only) > 0 {
				how += "; polling every " + str("poll_interval") + " in " + strings.Join(only, ", ")
			}
		}
		if !has("poll_interval") && attrs["events"].Any() != true {
			how = "polling"
		}
		s += " with the stat poller (" + how + ")"
	}
	files, _ := attrs["files"].Any().(int64)
	if has("files") {
		more := ""
		if attrs["more_files"].Any() == true {
			more = "over "
		}
		s += fmt.Sprintf(": %s%d %s", more, files, plural(int(files), "file"))
		if dirs, _ := attrs["dirs"].Any().(int64); dirs > 0 { // none when only files are watched
			s += fmt.Sprintf(" in %d %s", dirs, plural(int(dirs), "directory"))
		}
	}
	if has("patterns") {
		s += "; only " + list("patterns")
	}
	if has("ignores") {
		s += "; ignoring " + list("ignores")
	}
	if has("config") {
		s += "; project file " + str("config")
	}
	switch {
	case str("deps") == "all":
		s += "; --deps-from: every change counts until it answers"
	case has("deps"):
		s += "; --deps-from: " + str("deps") + " paths"
	}
	if has("reason") {
		s += "; Watchman not used: " + str("reason")
		if stat && (files >= bigTree || attrs["more_files"].Any() == true) {
			s += "; for a tree this big, install Watchman (https://facebook.github.io/watchman/): it watches at no cost while idle"
		}
	}
	return s
}

// plural is word for n of it: "1 file", "2 files", "3 directories".
func plural(n int, word string) string {
	switch {
	case n == 1:
		return word
	case strings.HasSuffix(word, "y"):
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}

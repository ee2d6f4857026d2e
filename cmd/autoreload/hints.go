package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
)

// ownReloaderHint says how to turn off the reloader COMMAND runs by
// itself, "" when it runs none that autoreload knows. Two reloaders, one
// under the other, work but make each restart slower (Django's: 2.6 times
// as long, with 2.5 times the refused requests).
func ownReloaderHint(command []string) string {
	if len(command) == 0 {
		return ""
	}
	prog := filepath.Base(command[0])
	args := command[1:]
	// python -m uvicorn, npx nodemon, go run github.com/air-verse/air...
	if i := slices.Index(args, "-m"); strings.HasPrefix(prog, "python") && i >= 0 && i+1 < len(args) {
		prog, args = args[i+1], args[i+2:]
	} else if (prog == "npx" || prog == "pnpx" || prog == "bunx") && len(args) > 0 {
		prog, args = filepath.Base(args[0]), args[1:]
	}
	has := func(s string) bool { return slices.Contains(args, s) }
	switch {
	case slices.ContainsFunc(args, func(a string) bool { return filepath.Base(a) == "manage.py" }) || prog == "django-admin":
		if has("runserver") && !has("--noreload") {
			return "Django's runserver restarts itself: add --noreload to it"
		}
	case prog == "uvicorn":
		if has("--reload") {
			return "uvicorn restarts itself with --reload: drop --reload"
		}
	case prog == "flask":
		if has("run") && (has("--reload") || has("--debug")) && !has("--no-reload") {
			return "flask run restarts itself in debug mode: add --no-reload to it"
		}
	case prog == "nodemon":
		return "nodemon is a reloader itself: run node directly (autoreload -- node server.js)"
	case prog == "air":
		return "air is a reloader itself: run the program it builds, with its build command as --build"
	}
	return ""
}

// msgOwnReloader warns that COMMAND runs a reloader of its own (hint).
const msgOwnReloader = "own reloader"

// warnOwnReloader logs ownReloaderHint once, at start.
func warnOwnReloader(logger *slog.Logger, command []string) {
	if hint := ownReloaderHint(command); hint != "" {
		logger.Warn(msgOwnReloader, "hint", hint)
	}
}

// flagHint adds the likely flag to pflag's "unknown flag: --watc".
func flagHint(err error, names []string) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var starting []string // --no-ignore: --no-ignore-files
	for _, n := range names {
		if strings.HasPrefix(n, name) {
			starting = append(starting, n)
		}
	}
	meant := closest(name, names)
	if len(starting) == 1 {
		meant = starting[0]
	}
	if meant != "" {
		return fmt.Errorf("%w; did you mean --%s?", err, meant)
	}
	return err
}

package main

import (
	"regexp"
	"runtime/debug"
)

// release is autoreload's version, set here by each release, so that
// every build names one, with or without VCS information.
const release = "0.2.0"

// pseudoCommit finds the commit in a Go pseudo-version
// (v0.0.0-20261130145200-0123456789ab), which go install module@commit
// records when the build has no VCS stamp.
var pseudoCommit = regexp.MustCompile(`-\d{14}-([0-9a-f]{12})$`)

// version is "autoreload 0.2.0", followed by the commit when the build
// knows it: "autoreload 0.2.0 (commit 0123456789ab)", with ", modified"
// when the checkout had uncommitted changes.
func version() string {
	v := "autoreload " + release
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var commit string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if m := pseudoCommit.FindStringSubmatch(info.Main.Version); commit == "" && m != nil {
		commit = m[1]
	}
	switch {
	case commit != "" && modified:
		v += " (commit " + commit + ", modified)"
	case commit != "":
		v += " (commit " + commit + ")"
	}
	return v
}

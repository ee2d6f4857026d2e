package main

import (
	"log/slog"
	"strings"

	"github.com/spf13/pflag"
)

// notFlagVariables are the AUTORELOAD_* names that set no flag and are not
// typos: those autoreload sets for COMMAND (seen again when COMMAND is
// itself autoreload), and the markers and knobs of its own processes,
// tests and benchmarks. A test keeps this list in step with the names the
// source uses.
var notFlagVariables = []string{
	"AUTORELOAD_ENV", "AUTORELOAD_CHANGED", "AUTORELOAD_DEPS_SOCKET", // for COMMAND
	"AUTORELOAD_HELPER_OF", "AUTORELOAD_ROLE", // the supervisor's marks on its own processes
	"AUTORELOAD_FAULTS",       // fault injection (build tag autoreload_faults)
	"AUTORELOAD_IDLE_SECONDS", // a benchmark's knob
}

// notFlagPrefixes: the test harness marks its processes with names of its
// own, and the benchmarks take knobs.
var notFlagPrefixes = []string{"AUTORELOAD_TEST_", "AUTORELOAD_BENCH_"}

// unknownVariable is an AUTORELOAD_* variable in the environment that
// autoreload does not read, and the flag variable it probably meant ("" if
// none is close).
type unknownVariable struct{ name, meant string }

// unknownVariables finds the AUTORELOAD_* names in environ (NAME=VALUE
// strings) that set no flag, each once, in environ's order.
func unknownVariables(environ []string) []unknownVariable {
	known := map[string]bool{}
	var flagVars []string
	newFlagSet(&config{}).VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "version" { // read from the command line only
			flagVars = append(flagVars, envName(f.Name))
		}
	})
	for _, n := range append(flagVars, notFlagVariables...) {
		known[n] = true
	}
	var out []unknownVariable
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || known[name] || hasAnyPrefix(name, notFlagPrefixes) {
			continue
		}
		known[name] = true // once
		out = append(out, unknownVariable{name, closest(name, flagVars)})
	}
	return out
}

// msgUnknownVariable warns of an AUTORELOAD_ variable that sets no flag
// (name, meant).
const msgUnknownVariable = "unknown variable"

// warnUnknownVariables logs one warning for each AUTORELOAD_* variable
// autoreload ignores: a typo (AUTORELOAD_EXTS) would otherwise pass in
// silence.
func warnUnknownVariables(logger *slog.Logger, environ []string) {
	for _, u := range unknownVariables(environ) {
		attrs := []any{"name", u.name}
		if u.meant != "" {
			attrs = append(attrs, "meant", u.meant)
		}
		logger.Warn(msgUnknownVariable, attrs...)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// closest is the candidate name most like name: the nearest by edit
// distance if that is at most a third of its length (AUTORELOAD_EXTS),
// else one that starts with it or that it starts with (AUTORELOAD_POLL).
func closest(name string, candidates []string) string {
	word := strings.TrimPrefix(name, envPrefix)
	best, bestDist := "", len(word)/3+1
	for _, c := range candidates {
		if d := editDistance(word, strings.TrimPrefix(c, envPrefix)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(word) < 3 {
		return best
	}
	for _, c := range candidates {
		cw := strings.TrimPrefix(c, envPrefix)
		if strings.HasPrefix(cw, word) || strings.HasPrefix(word, cw) {
			return c
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes (the
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

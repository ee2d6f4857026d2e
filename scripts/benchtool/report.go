//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// tickSeconds is the unit of utime+stime in /proc/PID/stat (USER_HZ, 100 on
// every Linux configuration that matters).
const tickSeconds = 0.01

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// cpuPercent is CPU time over the window as a percentage of one core.
func cpuPercent(ticks uint64, window time.Duration) float64 {
	return float64(ticks) * tickSeconds / window.Seconds() * 100
}

func mib(kb uint64) float64 { return float64(kb) / 1024 }

// ratio of a peer's figure to autoreload's; a zero reference means
// autoreload used less than one unit of resolution, so the ratio is a
// lower bound computed against one unit.
func ratio(v, ref, unit float64, refOK, vOK bool) string {
	switch {
	case !refOK || !vOK:
		return "—"
	case ref == 0 && v == 0:
		return "both 0"
	case ref == 0:
		return fmt.Sprintf("≥ %.0f×", v/unit)
	default:
		return fmt.Sprintf("%.2f×", v/ref)
	}
}

type row struct {
	t                *tool
	r                *result
	p50, p90, p95    time.Duration
	maxLat           time.Duration
	latOK            bool
	cpuSmall, cpuBig float64 // totals (tool + daemon), % of a core
	readyMed         time.Duration
	readyOK          bool
	rssTotal         float64
	rssOK            bool
}

func makeRow(t *tool, r *result) row {
	w := row{t: t, r: r}
	if len(r.latencies) > 0 {
		s := slices.Clone(r.latencies)
		slices.Sort(s)
		w.p50, w.p90, w.p95, w.maxLat, w.latOK = percentile(s, 0.5), percentile(s, 0.9), percentile(s, 0.95), s[len(s)-1], true
	}
	if u := r.idleSmall; u.ok {
		w.cpuSmall = cpuPercent(u.ticks+u.daemonTicks, u.window)
	}
	if u := r.idleBig; u.ok {
		w.cpuBig = cpuPercent(u.ticks+u.daemonTicks, u.window)
	}
	if len(r.ready) > 0 {
		s := slices.Clone(r.ready)
		slices.Sort(s)
		w.readyMed, w.readyOK = percentile(s, 0.5), true
	}
	w.rssTotal, w.rssOK = mib(r.rssKB+r.daemonRSSKB), r.rssKB > 0
	return w
}

func (w row) cpuCell(u usage) string {
	if !u.ok {
		return "—"
	}
	own := cpuPercent(u.ticks, u.window)
	cell := fmt.Sprintf("%.2f %%", own)
	if w.t.watchman {
		d := cpuPercent(u.daemonTicks, u.window)
		cell = fmt.Sprintf("%.2f %% + %.2f %% = **%.2f %%**", own, d, own+d)
	}
	if u.idleStarts > 0 {
		cell += fmt.Sprintf(" (%d restarts while idle)", u.idleStarts)
	}
	return cell
}

func (w row) rssCell() string {
	if !w.rssOK {
		return "—"
	}
	if w.t.watchman {
		return fmt.Sprintf("%.1f + %.1f = **%.1f MiB**", mib(w.r.rssKB), mib(w.r.daemonRSSKB), w.rssTotal)
	}
	return fmt.Sprintf("%.1f MiB", w.rssTotal)
}

// report renders the Markdown: machine, results, ratios, notes.
func report(c *config, tools []*tool, results map[*tool]*result, idleGroups, machine []string, began time.Time, took time.Duration, leftovers []string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	tools = slices.DeleteFunc(slices.Clone(tools), func(t *tool) bool { return t.unavailable == leftOut })
	cmd := "scripts/bench"
	if c.quick {
		cmd += " --quick"
	}
	if c.targets {
		cmd += " --targets"
	}
	big := fmt.Sprintf("%dk", c.bigFiles/1000)
	p("# autoreload benchmark\n\n`%s`, %s, took %s.\n\n", cmd, began.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	p("## Machine\n\n")
	for _, m := range machine {
		p("- %s\n", m)
	}
	p("\n## Results\n\n")
	p("Latency: write one watched file, until the restarted COMMAND's first instruction appends the time (`date +%%s%%N`) to a file "+
		"(%d trials per tool, interleaved round-robin, a write at least %v after the previous one). ", c.trials, c.trialGap)
	if c.targets {
		p("The Watchman-based tools share one Watchman daemon on the 1k trees. ")
	}
	p(
		"Idle CPU: %% of one core over a %v window, all tools running at once, the tool's process tree minus the child; "+
			"for Watchman-based tools *tool + daemon = total*. Ready: launch until a change restarts the child (median of %d; a write every 250 ms from launch, every 50 ms for autoreload with Watchman and its older build); "+
			"in the first round each tool starts in the wall-clock second in which every file of the big tree was stamped anew, right after (as after a checkout), in the later rounds on a tree last written rounds earlier. "+
			"Peak RSS: largest sum of the tree's VmHWM, tool + daemon. "+
			"Clean stops: SIGTERM to the tool's own process (not its group) ended the tool and every process it had started within 5 s.\n\n", c.idle, c.readyRounds)
	if len(idleGroups) > 1 {
		p("On the %s tree the idle window ran in %d groups, so that tools holding an inotify watch per file fit the user's inotify budget together: ", big, len(idleGroups))
		for i, g := range idleGroups {
			if i > 0 {
				p("; ")
			}
			p("(%s)", g)
		}
		p(".\n\n")
	}
	p("| Tool | Latency p50 | p90 | p95 | max | Extra / missed | Idle CPU, 1k files | Idle CPU, %s files | Ready, %s files | Peak RSS, %s files | Clean stops |\n", big, big, big)
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var rows []row
	for _, t := range tools {
		r := results[t]
		w := makeRow(t, r)
		rows = append(rows, w)
		if t.unavailable != "" {
			p("| %s | not measured: %s | | | | | | | | | |\n", t.name, strings.ReplaceAll(t.unavailable, "|", "/"))
			continue
		}
		if !w.latOK && !w.readyOK && !r.idleSmall.ok && !r.idleBig.ok && len(r.errs) > 0 {
			p("| %s | failed: %s | | | | | | | | | |\n", t.name, strings.ReplaceAll(groupErrors(r.errs)[0], "|", "/"))
			continue
		}
		lat := []string{"—", "—", "—", "—"}
		if w.latOK {
			lat = []string{ms(w.p50), ms(w.p90), ms(w.p95), ms(w.maxLat)}
		}
		ready := "—"
		if w.readyOK {
			ready = fmt.Sprintf("%.2f s", w.readyMed.Seconds())
		}
		p("| %s | %s | %s | %s | %s | %d / %d of %d | %s | %s | %s | %s | %d of %d |\n", t.name, lat[0], lat[1], lat[2], lat[3],
			r.extra, r.missed, r.trials, w.cpuCell(r.idleSmall), w.cpuCell(r.idleBig), ready, w.rssCell(),
			r.stops-len(r.stopProblems), r.stops)
	}
	if len(rows) > 1 && rows[0].t.slug == "autoreload" {
		ref := rows[0] // autoreload with Watchman
		p("\n### Ratio to autoreload (with Watchman; CPU and memory include the daemon)\n\n")
		if !ref.latOK && !ref.readyOK && !ref.r.idleSmall.ok && !ref.r.idleBig.ok {
			p("None: autoreload with Watchman produced no figures in this run (see its row).\n")
		} else {
			ratios(&b, c, rows, big)
		}
	}
	restartTargets(&b, c, rows, big)
	if !c.targets {
		gates(&b, c, rows, big)
	}
	p("\n## Tools\n\n")
	for _, w := range rows {
		t := w.t
		desc := t.version
		if t.unavailable != "" {
			desc = "**not measured**: " + t.unavailable
		}
		p("- **%s**", t.name)
		if desc != "" {
			p(" (%s)", desc)
		}
		if t.note != "" {
			p(": %s", t.note)
		}
		p("\n")
		if len(w.r.ready) > 1 {
			var s []string
			for _, d := range w.r.ready {
				s = append(s, fmt.Sprintf("%.2f s", d.Seconds()))
			}
			p("  - ready, each round: %s\n", strings.Join(s, ", "))
		}
		if w.r.ownRSSKB > 0 {
			p("  - peak RSS of its own processes through %d restarts on the %s tree (%d writes missed): %.1f MiB",
				w.r.bigRestarts, big, w.r.bigMissed, mib(w.r.ownRSSKB))
			if len(w.r.ownRSSOf) > 0 {
				p(" (MiB: %s)", strings.Join(w.r.ownRSSOf, " + "))
			}
			p("\n")
		}
		if len(w.r.ownRounds) > 1 {
			var s []string
			for _, kb := range w.r.ownRounds {
				s = append(s, fmt.Sprintf("%.1f", mib(kb)))
			}
			p("  - peak RSS of its own processes, each round: %s MiB\n", strings.Join(s, ", "))
		}
		for _, e := range groupErrors(w.r.errs) {
			p("  - error: %s\n", e)
		}
		if w.r.fallbacks > 0 {
			p("  - Django's 0.1 s Watchman check failed %d time(s) on a restart: it carried on with the StatReloader\n", w.r.fallbacks)
		}
		for _, e := range countSame(w.r.stopProblems) {
			p("  - on SIGTERM: %s\n", e)
		}
	}
	p("\n## Processes left behind\n\n")
	if len(leftovers) == 0 {
		p("None: every process the benchmark started was gone at the end.\n")
	} else {
		p("The final sweep had to kill these (a bug in the tool or in the benchmark):\n\n")
		for _, l := range leftovers {
			p("- `%s`\n", l)
		}
	}
	return b.String()
}

// groupErrors folds the same failure seen in several phases into one line.
func groupErrors(errs []string) []string {
	var order []string
	phases := map[string][]string{}
	for _, e := range errs {
		phase, msg, _ := strings.Cut(e, ": ")
		if phases[msg] == nil {
			order = append(order, msg)
		}
		if !slices.Contains(phases[msg], phase) {
			phases[msg] = append(phases[msg], phase)
		}
	}
	out := make([]string, len(order))
	for i, msg := range order {
		out[i] = msg + " (" + strings.Join(phases[msg], "; ") + ")"
	}
	return out
}

// countSame lists distinct lines, each with how often it occurred.
func countSame(lines []string) []string {
	var order []string
	n := map[string]int{}
	for _, l := range lines {
		if n[l] == 0 {
			order = append(order, l)
		}
		n[l]++
	}
	for i, l := range order {
		if n[l] > 1 {
			order[i] = fmt.Sprintf("%s (%d times)", l, n[l])
		}
	}
	return order
}

// ratios renders each peer's figures over autoreload's (rows[0]).
func ratios(b *strings.Builder, c *config, rows []row, big string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	ref := rows[0]
	p("Above 1 means the tool is slower or heavier than autoreload. \"≥ N×\": autoreload used under one clock tick (%.2f %% of a core here), so the ratio is against one tick.\n\n",
		cpuPercent(1, c.idle))
	p("| Tool | Latency p50 | Latency p95 | Idle CPU, 1k | Idle CPU, %s | Ready, %s | Peak RSS, %s |\n|---|---:|---:|---:|---:|---:|---:|\n", big, big, big)
	oneTick := cpuPercent(1, c.idle)
	for _, w := range rows[1:] {
		if w.t.unavailable != "" {
			p("| %s | not measured | | | | | |\n", w.t.name)
			continue
		}
		if c.targets {
			p("| %s | %s | %s | | | %s | %s |\n", w.t.name,
				ratio(float64(w.p50), float64(ref.p50), 1, ref.latOK, w.latOK),
				ratio(float64(w.p95), float64(ref.p95), 1, ref.latOK, w.latOK),
				ratio(float64(w.readyMed), float64(ref.readyMed), 1, ref.readyOK, w.readyOK),
				ratio(w.rssTotal, ref.rssTotal, 1, ref.rssOK, w.rssOK))
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", w.t.name,
			ratio(float64(w.p50), float64(ref.p50), 1, ref.latOK, w.latOK),
			ratio(float64(w.p95), float64(ref.p95), 1, ref.latOK, w.latOK),
			ratio(w.cpuSmall, ref.cpuSmall, oneTick, ref.r.idleSmall.ok, w.r.idleSmall.ok),
			ratio(w.cpuBig, ref.cpuBig, oneTick, ref.r.idleBig.ok, w.r.idleBig.ok),
			ratio(float64(w.readyMed), float64(ref.readyMed), 1, ref.readyOK, w.readyOK),
			ratio(w.rssTotal, ref.rssTotal, 1, ref.rssOK, w.rssOK))
	}
}

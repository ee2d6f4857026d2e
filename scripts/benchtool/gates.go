//go:build linux

package main

import (
	"fmt"
	"strings"
	"time"
)

// gates renders the targets of the event-driven poller (autoreload with no
// Watchman on PATH) against the peers they are set by, from the same run:
// latency against nodemon, idle CPU and memory against Django's
// StatReloader, time to ready against the pure poller.
func gates(b *strings.Builder, c *config, rows []row, big string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	find := func(slug string) (row, bool) { return findRow(rows, slug) }
	ev, ok := find("autoreload-events")
	if !ok {
		return
	}
	p("\n### Without Watchman: the event-driven poller against its targets\n\n")
	p("| Measure | autoreload, no Watchman | Against | Ratio | Target |\n|---|---:|---|---:|---|\n")
	pass := func(good bool) string {
		if good {
			return "met"
		}
		return "**missed**"
	}
	if nm, ok := find("nodemon"); ok && nm.latOK && ev.latOK {
		r50, r95 := float64(ev.p50)/float64(nm.p50), float64(ev.p95)/float64(nm.p95)
		p("| Latency p50 | %s | nodemon %s | %.2f× | ≤ 1× (aim 0.8×): %s |\n", ms(ev.p50), ms(nm.p50), r50, pass(r50 <= 1))
		p("| Latency p95 | %s | nodemon %s | %.2f× | ≤ 1.5×: %s |\n", ms(ev.p95), ms(nm.p95), r95, pass(r95 <= 1.5))
	}
	p("| Extra / missed restarts | %d / %d of %d | | | none: %s |\n", ev.r.extra, ev.r.missed, ev.r.trials, pass(ev.r.extra == 0 && ev.r.missed == 0))
	if dj, ok := find("django-stat"); ok {
		if ev.r.idleBig.ok && dj.r.idleBig.ok && dj.cpuBig > 0 {
			r := ev.cpuBig / dj.cpuBig
			p("| Idle CPU, %s files | %.2f %% | Django StatReloader %.2f %% | %.1f %% | ≤ 3 %%: %s |\n", big, ev.cpuBig, dj.cpuBig, 100*r, pass(r <= 0.03))
		}
		if ev.rssOK && dj.rssOK {
			r := ev.rssTotal / dj.rssTotal
			p("| Peak RSS, %s files | %.1f MiB | Django StatReloader %.1f MiB | %.1f %% | ≤ 15 %%: %s |\n", big, ev.rssTotal, dj.rssTotal, 100*r, pass(r <= 0.15))
		}
	}
	if st, ok := find("autoreload-stat"); ok && st.readyOK && ev.readyOK {
		d := ev.readyMed - st.readyMed
		p("| Ready, %s files | %.2f s | pure poller %.2f s | %+.2f s | ≤ +0.3 s: %s |\n", big, ev.readyMed.Seconds(), st.readyMed.Seconds(), d.Seconds(), pass(d <= 300*time.Millisecond))
	}
	_ = c
}

// restartTargets renders the targets of the restart path (issue 20), each a
// ratio from the same run: with Watchman against the older build
// (config.old), without Watchman against nodemon; peak memory of
// autoreload's own processes through restarts, and time to ready, on the
// big tree with Watchman against the older build.
func restartTargets(b *strings.Builder, c *config, rows []row, big string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	find := func(slug string) (row, bool) { return findRow(rows, slug) }
	cur, okCur := find("autoreload")
	old, okOld := find("autoreload-old")
	ev, okEv := find("autoreload-events")
	nm, okNm := find("nodemon")
	if !(okCur && okOld) && !(okEv && okNm) {
		return
	}
	pass := func(good bool) string {
		if good {
			return "met"
		}
		return "**missed**"
	}
	oldName := "autoreload@" + c.oldRev
	p("\n### The restart path's targets\n\n")
	p("Each a ratio from this run: autoreload (%s) against %s, and without Watchman against nodemon.\n\n", orUnknown(c.autoreloadRev), oldName)
	p("| Measure | autoreload | Against | Ratio | Target |\n|---|---:|---|---:|---|\n")
	latency := func(label string, a, ref time.Duration, refName string, limit float64) {
		r := float64(a) / float64(ref)
		p("| %s | %s | %s %s | %.2f× | ≤ %g×: %s |\n", label, ms(a), refName, ms(ref), r, limit, pass(r <= limit))
	}
	if okCur && okOld && cur.latOK && old.latOK {
		latency("Latency p50, Watchman, 1k files", cur.p50, old.p50, oldName, 0.9)
		latency("Latency p90, Watchman, 1k files", cur.p90, old.p90, oldName, 1.05)
	}
	if okEv && okNm && ev.latOK && nm.latOK {
		latency("Latency p50, no Watchman, 1k files", ev.p50, nm.p50, "nodemon", 0.5)
	}
	if okCur && okOld && cur.r.ownRSSKB > 0 && old.r.ownRSSKB > 0 {
		a, ref := mib(cur.r.ownRSSKB), mib(old.r.ownRSSKB)
		p("| Peak RSS of autoreload's own processes, %s files, Watchman, %d restarts | %.1f MiB | %s %.1f MiB | %.2f× | ≤ 1.5×: %s |\n",
			big, cur.r.bigRestarts, a, oldName, ref, a/ref, pass(a/ref <= 1.5))
		// Round 1 starts both builds in the second their tree was written,
		// when the older one peaks far above its later rounds: the overall
		// peaks alone would hide how the later rounds compare.
		if i, r, ok := worstRound(cur.r.ownRounds, old.r.ownRounds); ok {
			p("| The same, round by round: the worst of %d rounds (round %d) | %.1f MiB | %s %.1f MiB | %.2f× | ≤ 1.5×: %s |\n",
				min(len(cur.r.ownRounds), len(old.r.ownRounds)), i+1, mib(cur.r.ownRounds[i]), oldName, mib(old.r.ownRounds[i]), r, pass(r <= 1.5))
		}
	}
	if okCur && okOld && cur.readyOK && old.readyOK {
		r := float64(cur.readyMed) / float64(old.readyMed)
		p("| Ready, %s files, Watchman | %.2f s | %s %.2f s | %.2f× | ≤ 1×: %s |\n",
			big, cur.readyMed.Seconds(), oldName, old.readyMed.Seconds(), r, pass(r <= 1))
	}
	if fl, ok := find("floor"); ok && fl.latOK && okCur && okOld && cur.latOK && old.latOK {
		// The floor shows which part of a latency target a restarter can
		// reach at all: the settle and COMMAND's start are no tool's.
		p("\nThe floor (row floor: kill, wait and exec on autoreload's Watchman client, nothing else) has p50 %s, %.2f× %s's; "+
			"autoreload's own part above it is %+.1f ms at p50, %+.1f ms at p90.\n",
			ms(fl.p50), float64(fl.p50)/float64(old.p50), oldName, msf(cur.p50-fl.p50), msf(cur.p90-fl.p90))
	}
	if okCur && okOld {
		p("\nPeak RSS here: the largest sum of VmHWM over the live processes below autoreload that run its executable " +
			"(autoreload, its guards and shims; not COMMAND, not the daemon), sampled every 200 ms from launch and every " +
			"millisecond through the restarts, so guards alive at the same time count together.\n")
	}
	if okEv {
		if old, ok := find("autoreload-old-events"); ok && old.latOK && ev.latOK {
			p("Without Watchman against %s without Watchman: p50 %s against %s (%.2f×), p90 %s against %s (%.2f×).\n",
				oldName, ms(ev.p50), ms(old.p50), float64(ev.p50)/float64(old.p50),
				ms(ev.p90), ms(old.p90), float64(ev.p90)/float64(old.p90))
		}
	}
}

// msf is d in milliseconds.
func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// findRow returns the row of the tool slug names, when it was measured.
func findRow(rows []row, slug string) (row, bool) {
	for _, w := range rows {
		if w.t.slug == slug && w.t.unavailable == "" {
			return w, true
		}
	}
	return row{}, false
}

func orUnknown(s string) string {
	if s == "" {
		return "the binary given"
	}
	return s
}

// worstRound is the round in which a's peak is the largest multiple of
// b's, the two lists holding one peak a round in the same order.
func worstRound(a, b []uint64) (round int, ratio float64, ok bool) {
	for i := range min(len(a), len(b)) {
		if b[i] == 0 {
			continue
		}
		if r := float64(a[i]) / float64(b[i]); !ok || r > ratio {
			round, ratio, ok = i, r, true
		}
	}
	return round, ratio, ok
}

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
	find := func(slug string) (row, bool) {
		for _, w := range rows {
			if w.t.slug == slug && w.t.unavailable == "" {
				return w, true
			}
		}
		return row{}, false
	}
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

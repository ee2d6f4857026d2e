// Package writers tells COMMAND's own writes into the watched tree from a
// person's edits, for the restart-loop rule.
//
// Timing alone cannot: a person saving every 0.5 s and a COMMAND writing
// its log half a second after each start look alike. What separates them
// is who writes. A Recorder follows one run of COMMAND: it samples which
// regular files the processes of its tree hold open for writing (Linux
// /proc, no privilege needed; fanotify, which would name every writer,
// wants CAP_SYS_ADMIN), often during the first seconds after the start
// and whenever a change arrives, and it remembers when the run began. A
// changed file is the run's own write (Wrote) when the tree was seen
// holding it open for writing, or when it was modified within Burst of
// the start, sooner than a person reacts to a restart.
//
// What it cannot see: a file opened, written and closed in less than a
// sampling interval, later than Burst after the start (a one-line append
// by a short-lived child a second into the run). Such a COMMAND is not
// recognised and restarts at the pace it writes; it shows in the log as
// `changed` naming the same file after every start. Sampling on inotify's
// IN_OPEN of such a file caught the writer (sh's `date >> log`) 40 times
// in 40 on an idle machine but only half the time on a saturated one:
// too unreliable to count on, so it is not done.
//
// Elsewhere than on Linux nothing is sampled and only Burst tells.
package writers

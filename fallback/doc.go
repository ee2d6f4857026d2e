// Package fallback watches files with a stat poller, and joins it to the
// Watchman backend: it picks Watchman when it is available, falls back to the
// poller when Watchman is lost at runtime, and goes back when it returns,
// without losing a change in either direction.
package fallback

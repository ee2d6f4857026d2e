// Package watchman is the Watchman backend: the watch spec shared with the
// poller, the availability check, and subscriptions over the Watchman socket.
package watchman

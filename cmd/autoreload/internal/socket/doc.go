// Package socket opens the listening sockets of --socket once, for the
// whole life of autoreload, so that every start of COMMAND can take them
// over by the systemd socket-activation protocol (sd_listen_fds(3)):
// descriptors 3, 4, … in the order given, LISTEN_FDS, LISTEN_FDNAMES, and
// LISTEN_PID, which only the process that becomes COMMAND can set.
//
// Guarantees: Parse refuses what Listen could not bind or what
// LISTEN_FDNAMES could not carry, with a one-line error naming the value;
// Listen binds all or nothing (on a failure the sockets opened so far are
// closed again); the descriptors are close-on-exec, so no socket reaches
// a process unless it is handed over on purpose, and blocking, as
// systemd passes them.
package socket

package watchman

import (
	"fmt"

	"github.com/sjansen/watchman/protocol"
)

// This file is the client's one door to github.com/sjansen/watchman/protocol,
// the design's dependency: the requests it has (list-capabilities,
// watch-project, clock, unsubscribe; requests.go adds what it lacks) and
// the translators of their replies. The rest of the package speaks
// response and request, so that the library can be replaced here alone.
// TestProtocolLibraryInOneFile (in cmd/autoreload) holds this.

// response is one decoded reply or unilateral PDU, JSON or BSER: an
// object's fields by name.
type response map[string]any

// unilateral reports a PDU the daemon sent by itself (a notification, a
// log), not a reply to the last request.
func (r response) unilateral() bool { return protocol.ResponsePDU(r).IsUnilateral() }

// request is one command, as its arguments are encoded (conn.send).
type request interface {
	Args() []any
}

func listCapabilitiesRequest() request { return &protocol.ListCapabilitiesRequest{} }

func watchProjectRequest(dir string) request { return &protocol.WatchProjectRequest{Path: dir} }

// clockRequest asks for watch's clock after a sync of at most syncMs
// milliseconds (at least 1: 0 would mean no sync).
func clockRequest(watch string, syncMs int) request {
	return &protocol.ClockRequest{Path: watch, SyncTimeout: max(syncMs, 1)}
}

func unsubscribeRequest(watch, name string) request {
	return &protocol.UnsubscribeRequest{Root: watch, Name: name}
}

// parseCapabilities reads list-capabilities' reply.
func parseCapabilities(r response) (version string, names []string, err error) {
	res, err := translate(r, protocol.NewListCapabilitiesResponse)
	if err != nil {
		return "", nil, err
	}
	return res.Version(), res.Capabilities(), nil
}

// parseWatchProject reads watch-project's reply: the watch chosen, the
// directory's path relative to it, and the daemon's warning, if any.
func parseWatchProject(r response) (watch, rel, warning string, err error) {
	res, err := translate(r, protocol.NewWatchProjectResponse)
	if err != nil {
		return "", "", "", err
	}
	return res.Watch(), res.RelativePath(), res.Warning(), nil
}

// parseClock reads clock's reply: "" when it carries none.
func parseClock(r response) (string, error) {
	res, err := translate(r, protocol.NewClockResponse)
	if err != nil {
		return "", err
	}
	return res.Clock(), nil
}

// parseSubscribeWarning reads the daemon's warning in subscribe's reply,
// if any.
func parseSubscribeWarning(r response) (string, error) {
	res, err := translate(r, protocol.NewSubscribeResponse)
	if err != nil {
		return "", err
	}
	return res.Warning(), nil
}

// translate runs one of the protocol package's translators, turning its
// panics (it asserts element types without checking) into errors.
func translate[T any](r response, fn func(protocol.ResponsePDU) T) (res T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed reply: %v", p)
		}
	}()
	return fn(protocol.ResponsePDU(r)), nil
}

//go:build !linux

package inotify

import "context"

// Watcher is a stand-in where there is no inotify: New never returns one.
type Watcher struct{}

// New returns ErrUnsupported: the poller runs without events.
func New(Options) (*Watcher, error) { return nil, ErrUnsupported }

func (*Watcher) Add(string) error                      { return ErrUnsupported }
func (*Watcher) Remove(string) error                   { return ErrUnsupported }
func (*Watcher) Len() int                              { return 0 }
func (*Watcher) Read(context.Context) ([]Event, error) { return nil, ErrUnsupported }
func (*Watcher) Close() error                          { return nil }

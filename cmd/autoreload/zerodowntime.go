package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/build"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/socket"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
)

// listen opens the --socket addresses for autoreload's whole life; one that
// cannot be opened is bad usage (exit 2): in use, no such address, no
// permission.
func listen(cfg *config, logger *slog.Logger) (*socket.Set, error) {
	set, err := socket.Listen(cfg.sockets)
	if err != nil {
		return nil, &usageError{err}
	}
	if set.Len() > 0 {
		logger.Info("listening", "addrs", set.Bound())
	}
	return set, nil
}

// builder runs --build with the build package, or is nil without one.
// builds counts the builds running, from their start to the end of their
// Wait: side commands wait for none to run.
func builder(cfg *config, builds *activity) supervisor.Builder {
	if cfg.build == "" {
		return nil
	}
	return func(env []string) (supervisor.Build, error) {
		builds.begin()
		b, err := build.Start(cfg.build, build.Options{Env: env, StopSignal: cfg.stopSignal, Grace: cfg.grace, Dir: cfg.buildDir})
		if err != nil {
			builds.end()
			return nil, err
		}
		return &shellBuild{Build: b, builds: builds}, nil
	}
}

// shellBuild is a *build.Build as the supervisor sees it.
type shellBuild struct {
	*build.Build
	builds *activity
	ended  sync.Once
}

func (b *shellBuild) Wait(ctx context.Context) supervisor.BuildResult {
	defer b.ended.Do(b.builds.end)
	r := b.Build.Wait(ctx)
	return supervisor.BuildResult{Duration: r.Duration, Cancelled: r.Cancelled, Code: r.Code, Signal: r.Signal}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestOwnReloaderHint(t *testing.T) {
	for _, c := range []struct {
		command string
		want    string // a part of the hint; "" for none
	}{
		{"python3 manage.py runserver", "add --noreload"},
		{".venv/bin/python ./manage.py runserver 0:8000", "add --noreload"},
		{"python3 manage.py runserver --noreload", ""},
		{"python3 manage.py migrate", ""},
		{"uvicorn app:app --reload", "drop --reload"},
		{"python -m uvicorn app:app --reload --port 8000", "drop --reload"},
		{"uvicorn app:app", ""},
		{"flask --app hello run --debug", "add --no-reload"},
		{"flask run", ""},
		{"nodemon server.js", "run node directly"},
		{"npx nodemon server.js", "run node directly"},
		{"air", "--build"},
		{"node server.js", ""},
		{"go run .", ""},
	} {
		got := ownReloaderHint(strings.Fields(c.command))
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: hint %q, want one with %q", c.command, got, c.want)
		}
	}
}

// TestOwnReloaderWarnedOnce: the warning comes once, at start, not at each
// restart.
func TestOwnReloaderWarnedOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	uvicorn := filepath.Join(dir, "bin", "uvicorn")
	os.MkdirAll(filepath.Dir(uvicorn), 0o755)
	if err := os.Symlink(helper, uvicorn); err != nil {
		t.Fatal(err)
	}
	s := startAutoreload(t, dir, "-i", "bin", "--", uvicorn, "exit", "1", "--reload")
	warning := s.await("own reloader", nil, "started")
	if hint, _ := warning["hint"].(string); !strings.Contains(hint, "drop --reload") {
		t.Errorf("hint %q, want it to say to drop --reload", hint)
	}
	s.ready()
	testkit.Write(t, filepath.Join(dir, "app.py"), "x")
	s.await("started", nil)
	for _, e := range s.stop() {
		if e.msg() == "own reloader" {
			t.Errorf("warned again: %v", e)
		}
	}
	if n := strings.Count(s.logText(), `"own reloader"`); n != 1 {
		t.Errorf("%d warnings in the log, want 1", n)
	}
}

package main

import (
	"strings"
	"testing"
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

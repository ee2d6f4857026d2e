package main

import "testing"

// TestSocketVariable: AUTORELOAD_SOCKET takes several addresses separated
// by spaces, since an address holds ':'; the command line wins.
func TestSocketVariable(t *testing.T) {
	env := map[string]string{"AUTORELOAD_SOCKET": " 127.0.0.1:8080  web=unix:/tmp/a.sock ", "AUTORELOAD_BUILD": "make"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := parseConfig([]string{"--", "true"}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.sockets) != 2 || cfg.sockets[0].Address != "127.0.0.1:8080" || cfg.sockets[1].Name != "web" ||
		cfg.sockets[1].Address != "/tmp/a.sock" || cfg.build != "make" {
		t.Errorf("sockets %+v, build %q", cfg.sockets, cfg.build)
	}
	cfg, err = parseConfig([]string{"--socket", ":9000", "--", "true"}, lookup)
	if err != nil || len(cfg.sockets) != 1 || cfg.sockets[0].Address != ":9000" {
		t.Errorf("--socket over the variable: %+v, %v", cfg.sockets, err)
	}
	if _, err := parseConfig([]string{"--build", "  ", "--", "true"}, lookup); err == nil || exitCode(err) != 2 {
		t.Errorf("a blank --build: %v, want a usage error", err)
	}
}

package mounts

import (
	"os"
	"testing"
)

func TestLoadFindsTheRoot(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := tab.Find("/")
	if !ok || m.Type == "" {
		t.Fatalf("no mount for /: %+v", m)
	}
	if m, _ := tab.Find("/proc/self"); m.Class() != Pseudo {
		t.Errorf("/proc is %q (%v)", m.Type, m.Class())
	}
	dir, _ := os.Getwd()
	if _, ok := tab.Find(dir); !ok {
		t.Errorf("no mount holds %s", dir)
	}
}

package bser

import (
	"os"
	"path/filepath"
	"testing"
)

// goldenFiles lists the PDUs a real daemon sent (see TestCaptureGolden).
func goldenFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "golden", "*.bser"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no golden PDUs: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

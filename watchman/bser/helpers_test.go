package bser

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func fmtValue(v any) string { return fmt.Sprintf("%T(%q)", v, fmt.Sprint(v)) }

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

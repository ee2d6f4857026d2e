package guard

import (
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	l := newLineReader(iotest.OneByteReader(strings.NewReader("one\ntwo\nrest")))
	for _, want := range []string{"one\n", "two\n"} {
		if got, err := l.ReadString('\n'); got != want || err != nil {
			t.Fatalf("ReadString = %q, %v; want %q", got, err, want)
		}
	}
	if rest, err := io.ReadAll(l); string(rest) != "rest" || err != nil {
		t.Errorf("the rest = %q, %v; want %q", rest, err, "rest")
	}
	l = newLineReader(strings.NewReader("a\nb\npartial"))
	l.ReadString('\n') // reads ahead what follows
	if rest, _ := io.ReadAll(l); string(rest) != "b\npartial" {
		t.Errorf("the rest after a line read ahead = %q, want %q", rest, "b\npartial")
	}
	l = newLineReader(strings.NewReader("partial"))
	if got, err := l.ReadString('\n'); got != "partial" || err != io.EOF {
		t.Errorf("ReadString at the end = %q, %v; want %q, io.EOF", got, err, "partial")
	}
}

// TestGuardImportsNothingLate: the guard runs from this package's
// initialisation, before the packages initialised after its imports; an
// import that sorts late in the initialisation order makes it wait for
// many more (see text.go).
func TestGuardImportsNothingLate(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		deps := strings.Fields(string(out))
		for _, late := range []string{"strings", "bufio", "runtime/debug", "golang.org/x/sys/unix"} {
			if slices.Contains(deps, late) {
				t.Errorf("on %s the guard imports %s", goos, late)
			}
		}
	}
}

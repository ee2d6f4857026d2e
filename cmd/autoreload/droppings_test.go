package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestEditorDroppingsRestartNothing: what editors leave beside the source
// while a file is open (swap, lock and auto-save files) restarts nothing,
// and a save as each editor makes it (with its probes, backups and
// temporary names) restarts COMMAND once, naming only the saved file.
func TestEditorDroppingsRestartNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	writeFile(t, src, "package main\n")
	s := startAutoreload(t, dir, "--", "sleep", "1000")
	s.ready()
	at := func(name string) string { return filepath.Join(dir, name) }

	// Open in Vim, Emacs and Kate; LibreOffice holds a document next to it.
	writeFile(t, at(".main.go.swp"), "vim swap")
	writeFile(t, at(".main.go.swo"), "second vim swap")
	if err := os.Symlink("user@host.1234:1700000000", at(".#main.go")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, at("#main.go#"), "emacs auto-save")
	writeFile(t, at(".main.go.kate-swp"), "kate swap")
	writeFile(t, at(".~lock.notes.odt#"), "lock")
	writeFile(t, at("cache.pyc"), "bytecode")
	quiet(s, "droppings of open editors", 500*time.Millisecond)

	saves := []struct {
		editor string
		save   func(content string)
	}{
		{"vim", func(content string) {
			writeFile(t, at("4913"), "") // can the directory be written?
			must(t, os.Remove(at("4913")))
			must(t, os.Rename(src, at("main.go~")))
			replaceFile(t, src, content)
		}},
		{"emacs", func(content string) {
			must(t, os.Rename(src, at("main.go~")))
			replaceFile(t, src, content)
			must(t, os.Remove(at("#main.go#")))
		}},
		{"jetbrains", func(content string) {
			writeFile(t, at("main.go___jb_tmp___"), content)
			must(t, os.Rename(src, at("main.go___jb_old___")))
			must(t, os.Rename(at("main.go___jb_tmp___"), src))
			must(t, os.Remove(at("main.go___jb_old___")))
		}},
		{"gedit", func(content string) {
			writeFile(t, at(".goutputstream-X4Y2Z1"), content)
			must(t, os.Rename(at(".goutputstream-X4Y2Z1"), src))
		}},
	}
	for i, c := range saves {
		c.save("package main // " + c.editor + "\n")
		changed := s.await("changed", nil, "started")
		if !slices.Equal(changed.paths(), []string{src}) {
			t.Errorf("%s save (%d): changed %v, want only %s", c.editor, i, changed.paths(), src)
		}
		s.await("started", nil)
		quiet(s, c.editor+" save", 300*time.Millisecond)
	}
	s.stop()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

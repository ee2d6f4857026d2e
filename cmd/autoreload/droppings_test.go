package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestEditorDroppingsRestartNothing: what editors leave beside the source
// while a file is open (swap, lock and auto-save files) restarts nothing,
// and a save as each editor makes it (with its probes, backups and
// temporary names) restarts COMMAND once, naming only the saved file.
func TestEditorDroppingsRestartNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	testkit.Write(t, src, "package main\n")
	s := startAutoreload(t, dir, "--", "sleep", "1000")
	s.ready()
	at := func(name string) string { return filepath.Join(dir, name) }

	// Open in Vim, Emacs and Kate; LibreOffice holds a document next to it.
	testkit.Write(t, at(".main.go.swp"), "vim swap")
	testkit.Write(t, at(".main.go.swo"), "second vim swap")
	if err := os.Symlink("user@host.1234:1700000000", at(".#main.go")); err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, at("#main.go#"), "emacs auto-save")
	testkit.Write(t, at(".main.go.kate-swp"), "kate swap")
	testkit.Write(t, at(".~lock.notes.odt#"), "lock")
	testkit.Write(t, at("cache.pyc"), "bytecode")
	quiet(s, "droppings of open editors", 500*time.Millisecond)

	saves := []struct {
		editor string
		save   func(content string)
	}{
		{"vim", func(content string) {
			testkit.Write(t, at("4913"), "") // can the directory be written?
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
			testkit.Write(t, at("main.go___jb_tmp___"), content)
			must(t, os.Rename(src, at("main.go___jb_old___")))
			must(t, os.Rename(at("main.go___jb_tmp___"), src))
			must(t, os.Remove(at("main.go___jb_old___")))
		}},
		{"gedit", func(content string) {
			testkit.Write(t, at(".goutputstream-X4Y2Z1"), content)
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

// TestTransientSaveFilesNeverListed: the temporary file of a save, which
// lives for milliseconds (GNU sed -i's sedXXXXXX, an editor's .name.tmp,
// both renamed over the real file), is never listed in changed or in
// AUTORELOAD_CHANGED, on either backend, with or without kernel events:
// each save restarts COMMAND once, naming only the real file, and such a
// file alone restarts nothing. Saves come several times, with the
// temporary file written slowly on some, so that a look on kernel events
// catches it before the rename.
func TestTransientSaveFilesNeverListed(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sed"); err != nil {
		t.Skip("no sed")
	}
	rounds := 4
	if raceEnabled {
		rounds = 3
	}
	for _, name := range []string{"stat", "stat-no-events", "watchman"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args, env, _ := reloader(t, name)
			dir := t.TempDir()
			src, app := filepath.Join(dir, "main.go"), filepath.Join(dir, "app.txt")
			testkit.Write(t, src, "package main // 0\n")
			testkit.Write(t, app, "0\n")
			envFile := filepath.Join(t.TempDir(), "env")
			s := startAutoreloadEnv(t, dir, env, append(args, "--", helper, "env", envFile)...)
			s.ready()
			starts := 1
			testkit.WaitLines(t, envFile, starts)
			saves := []struct {
				name, file string
				save       func(i int)
			}{
				{"sed -i", src, func(i int) {
					cmd := exec.Command("sed", "-i", fmt.Sprintf("s|// %d|// %d|", i, i+1), "main.go")
					cmd.Dir = dir
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("sed -i: %v: %s", err, out)
					}
				}},
				{"atomic save", app, func(i int) {
					tmp := filepath.Join(dir, ".app.txt.tmp")
					f, err := os.Create(tmp)
					must(t, err)
					if i%2 == 1 {
						// A slower save: a look on kernel events sees it.
						time.Sleep(5 * time.Millisecond) // the scenario, not a wait
					}
					_, err = fmt.Fprintf(f, "%d\n", i+1)
					must(t, err)
					must(t, f.Close())
					must(t, os.Rename(tmp, app))
				}},
			}
			for i := range rounds {
				for _, c := range saves {
					c.save(i)
					e := s.await("changed", nil, "started")
					if !slices.Equal(e.paths(), []string{c.file}) {
						t.Errorf("%s %d: changed %v, want only %s", c.name, i, e.paths(), c.file)
					}
					s.await("started", nil, "changed")
					starts++
					lines := testkit.WaitLines(t, envFile, starts)
					if last := lines[len(lines)-1]; !strings.HasSuffix(last, " "+strconv.Quote(c.file)) {
						t.Errorf("%s %d: COMMAND got %s, want AUTORELOAD_CHANGED=%q", c.name, i, last, c.file)
					}
					quiet(s, c.name+" save", 200*time.Millisecond)
				}
				// Alone, a temporary file that comes and goes is nothing.
				tmp := filepath.Join(dir, fmt.Sprintf("sedTmp%03d", i))
				testkit.Write(t, tmp, "scratch")
				must(t, os.Remove(tmp))
				quiet(s, "a temporary file alone", 300*time.Millisecond)
			}
			s.stop()
		})
	}
}

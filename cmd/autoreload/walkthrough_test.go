//go:build linux

package main

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestReadmeFromFreshClone walks README.md's quick start as a new user
// does: a clone of the repository's HEAD in a scratch directory, the
// README's go install line run there (GOBIN in the scratch directory), and
// the README's first command run from a project of one's own, a tiny Go
// program, which must restart when its source changes. Slow (it compiles
// autoreload from the clone): skipped with -short.
func TestReadmeFromFreshClone(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles autoreload from a fresh clone")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	install, first := readmeQuickStart(t)

	scratch := t.TempDir()
	clone := filepath.Join(scratch, "autoreload")
	gobin := filepath.Join(scratch, "bin")
	runIn(t, ".", nil, "git", "clone", "--quiet", "../..", clone)
	// A user's go builds with VCS stamping on (auto), whatever this
	// machine's go env says.
	env := []string{"GOBIN=" + gobin, "GOFLAGS=-buildvcs=auto"}
	words := strings.Fields(install)
	for len(words) > 0 && strings.Contains(words[0], "=") { // the line's own variables
		env, words = append(env, words[0]), words[1:]
	}
	runIn(t, clone, env, words[0], words[1:]...)
	bin := filepath.Join(gobin, "autoreload")
	if interp := interpreter(t, bin); interp != "" {
		t.Errorf("the README's install line built a dynamically linked binary (interpreter %s): every process of autoreload's maps the C library", interp)
	}
	head := strings.TrimSpace(runIn(t, clone, nil, "git", "rev-parse", "--short=12", "HEAD"))
	if v := runIn(t, clone, nil, bin, "--version"); !strings.Contains(v, "autoreload "+release) || !strings.Contains(v, head) {
		t.Errorf("installed --version printed %q, want release %s and commit %s", v, release, head)
	}

	// The user's project: a program that notes each start, then serves.
	project := filepath.Join(scratch, "your-project")
	starts := filepath.Join(scratch, "starts")
	must(t, os.Mkdir(project, 0o755))
	testkit.Write(t, filepath.Join(project, "go.mod"), "module example.com/yours\n\ngo 1.22\n")
	program := func(note string) string {
		return `package main // ` + note + `

import (
	"os"
	"time"
)

func main() {
	f, _ := os.OpenFile(os.Getenv("STARTS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	f.WriteString("start\n")
	f.Close()
	time.Sleep(time.Hour)
}
`
	}
	testkit.Write(t, filepath.Join(project, "main.go"), program("first"))

	args := strings.Fields(first)[1:] // the README's command, after "autoreload"
	mark := "walkthrough-" + time.Now().Format("150405.000000000")
	cmd := exec.Command(bin, args...)
	cmd.Dir = project
	cmd.Env = overrideEnv(os.Environ(), []string{"STARTS=" + starts, "AUTORELOAD_TEST_MARK=" + mark, "GOFLAGS="})
	log := &testkit.Buffer{}
	cmd.Stderr = log
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(waitLimit):
			cmd.Process.Kill()
			t.Errorf("autoreload did not exit after SIGINT; log:\n%s", log)
		}
		if left := marked(mark); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}()
	testkit.WaitLines(t, starts, 1)
	replaceFile(t, filepath.Join(project, "main.go"), program("second"))
	testkit.WaitLines(t, starts, 2)
	if !strings.Contains(log.String(), "autoreload: changed main.go") {
		t.Errorf("no 'changed main.go' in the log:\n%s", log)
	}
}

// readmeQuickStart finds, in README.md's code blocks, the go install line
// and the first autoreload command run from one's own project.
func readmeQuickStart(t *testing.T) (install, first string) {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inCode := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		switch {
		case !inCode:
		case install == "" && strings.Contains(line, "go install ./cmd/autoreload"):
			install = line
		case install != "" && first == "" && strings.HasPrefix(line, "autoreload "):
			first = line
		}
	}
	if install == "" || first == "" {
		t.Fatalf("README.md: go install line %q, first command %q; want both in code blocks, in that order", install, first)
	}
	return install, first
}

// interpreter is the dynamic loader an ELF executable asks for (its
// PT_INTERP), or "" for a static one.
func interpreter(t *testing.T, path string) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}

// runIn runs a command to completion in dir and returns its stdout.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = overrideEnv(os.Environ(), env)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %q in %s: %v\n%s", name, args, dir, err, stderr)
	}
	return string(out)
}

package projectfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseGivesEachKeyItsLine(t *testing.T) {
	data := `# a project
watch = ["src", # the code
  "lib"]
build = "go build -o 'bin/server' ./cmd/server"
verbose = true
grace = 5
"quoted key" = "x\ty"

[[on]]
pattern = "*.templ"
run = "templ generate"
`
	f, err := Parse("/p/.autoreload.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, s := range f.Settings {
		got = append(got, s.Key+"@"+strconv.Itoa(s.Line)+":"+string(s.Value.Kind)+":"+s.Value.String+describe(s.Value.Items))
	}
	want := []string{
		"watch@2:a list:[src lib]",
		"build@4:a string:go build -o 'bin/server' ./cmd/server",
		"verbose@5:a boolean:true",
		"grace@6:a number:",
		"quoted key@7:a string:x\ty",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("settings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(f.On) != 1 || f.On[0].Line != 9 || len(f.On[0].Settings) != 2 ||
		f.On[0].Settings[0].Key != "pattern" || f.On[0].Settings[1].Value.String != "templ generate" || f.On[0].Settings[1].Line != 11 {
		t.Errorf("on = %+v", f.On)
	}
}

func describe(items []Value) string {
	if items == nil {
		return ""
	}
	var s []string
	for _, v := range items {
		s = append(s, v.String)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct{ data, want string }{
		{"watch = [\"a\"]\nwatch = [\"b\"]\n", "/p/.autoreload.toml:2: "},
		{"a = 1\nb = \n", "/p/.autoreload.toml:2: "},
		{"a = 1\n[server]\nport = 1\n", "/p/.autoreload.toml:2: unknown table [server]"},
		{"[[hooks]]\n", "/p/.autoreload.toml:1: unknown table [hooks]"},
	}
	for _, c := range cases {
		_, err := Parse("/p/.autoreload.toml", []byte(c.data))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("Parse(%q) = %v; want one line starting %q", c.data, err, c.want)
		}
	}
}

func TestFindStopsAtTheRepository(t *testing.T) {
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	sub := filepath.Join(repo, "a", "b")
	for _, d := range []string{filepath.Join(repo, ".git"), sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Above the repository: never found from inside it.
	if err := os.WriteFile(filepath.Join(top, Name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != "" {
		t.Errorf("Find with no file in the repository = %q; want none", got)
	}
	if err := os.WriteFile(filepath.Join(repo, Name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != filepath.Join(repo, Name) {
		t.Errorf("Find = %q, want the repository's", got)
	}
	// Outside a repository, only the directory itself.
	other := filepath.Join(top, "plain", "sub")
	os.MkdirAll(other, 0o755)
	if got := Find(other); got != "" {
		t.Errorf("Find outside a repository = %q, want none (not the parent's)", got)
	}
	if got := Find(top); got != filepath.Join(top, Name) {
		t.Errorf("Find in the file's own directory = %q", got)
	}
}

package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreload/autoreload/watchman/spec/internal/repo"
)

// configIgnoreDirs returns the ignore_dirs of the .watchmanconfig that
// Watchman would read for a watch of dir (the one in its project root) that
// lie below dir, relative to dir and slash-separated. Watchman's meaning is
// kept: "build" is the project root's build/, not every build/.
func configIgnoreDirs(dir string) ([]string, error) {
	project := repo.ProjectRoot(dir)
	if project == "" {
		project = dir
	}
	file := filepath.Join(project, ".watchmanconfig")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil, nil // Watchman accepts an empty config
	}
	var cfg struct {
		IgnoreDirs []string `json:"ignore_dirs"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var dirs []string
	for _, d := range cfg.IgnoreDirs {
		abs := filepath.Join(project, filepath.FromSlash(d))
		if within(dir, abs) {
			dirs = append(dirs, relSlash(dir, abs))
		}
	}
	return dirs, nil
}

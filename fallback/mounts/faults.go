//go:build autoreload_faults

package mounts

import (
	"os"
	"path/filepath"
	"strings"
)

// A binary built with the tag autoreload_faults (the end-to-end tests
// build one) takes fake mounts from AUTORELOAD_FAULTS, a comma-separated
// list whose items fstype=/abs/dir:TYPE mount a filesystem of TYPE at dir
// in every table Load returns. Other items are for other packages.
func init() {
	for _, item := range strings.Split(os.Getenv("AUTORELOAD_FAULTS"), ",") {
		val, ok := strings.CutPrefix(item, "fstype=")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(val, ':')
		if i <= 0 {
			continue
		}
		point := val[:i]
		if real, err := filepath.EvalSymlinks(point); err == nil {
			point = real
		}
		envFakes = append(envFakes, fake{point: point, fstype: val[i+1:]})
	}
}

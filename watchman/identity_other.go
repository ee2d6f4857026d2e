//go:build !linux

package watchman

func identifyDir(path string) (dirID, error) { return identifyByStat(path) }

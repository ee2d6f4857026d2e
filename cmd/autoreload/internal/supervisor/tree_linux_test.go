package supervisor

import (
	"os"
	"testing"
)

func TestReadStatOfOddNames(t *testing.T) {
	// The test process's own entry: whatever its name, fields follow ')'.
	p, ok := readStat(os.Getpid(), make([]byte, 512))
	if !ok || p.pid != os.Getpid() || p.ppid != os.Getppid() || p.zombie {
		t.Fatalf("readStat(self) = %+v, %v; want pid %d ppid %d alive", p, ok, os.Getpid(), os.Getppid())
	}
	if _, ok := readStat(-1, make([]byte, 512)); ok {
		t.Error("readStat(-1) succeeded")
	}
}

// Command autoreload runs a program and restarts it when its source files change.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "autoreload: not implemented yet")
	os.Exit(1)
}

package spec_test

import (
	"fmt"

	"github.com/autoreload/autoreload/watchman/spec"
)

// The spec is the one description of what to watch: the poller walks with
// it, and the Watchman backend sends its expression to the daemon and
// re-checks every result with Selects.
func ExampleSpec_Selects() {
	s, err := spec.New(spec.Options{
		Watch:    []string{"/"},
		Patterns: []string{"*.{go,tmpl}"},
		Ignores:  []string{"vendor/"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/src/main.go", "/src/page.tmpl", "/src/README.md", "/src/.#main.go", "/vendor/x/x.go"} {
		fmt.Println(path, s.Selects(path))
	}
	// Output:
	// /src/main.go true
	// /src/page.tmpl true
	// /src/README.md false
	// /src/.#main.go false
	// /vendor/x/x.go false
}

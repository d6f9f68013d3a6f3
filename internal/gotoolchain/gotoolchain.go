// Package gotoolchain pins the go commands the project runs itself (the
// handler build of the Pulumi program, test helpers that compile binaries)
// to the Go release go.mod asks for.
package gotoolchain

import (
	"runtime"
	"strings"
)

// Environ returns env with GOTOOLCHAIN set to the release that compiled the
// running program, so that a `go build` it starts uses that release even on
// a machine whose own go is older and whose GOTOOLCHAIN is "local" (such a
// go refuses a module that needs a newer release). A program built by a
// development toolchain, whose version does not start with "go", leaves env
// unchanged. Entries later in env win, so a caller may still override it.
func Environ(env []string) []string {
	out := env[:len(env):len(env)]
	if v := runtime.Version(); strings.HasPrefix(v, "go") {
		out = append(out, "GOTOOLCHAIN="+v)
	}
	return out
}

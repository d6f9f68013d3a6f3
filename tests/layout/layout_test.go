// Package layout_test guards the shape of the source tree: production
// packages link no test code, and no production source file grows past
// the size a reader can take in.
package layout_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

const module = "github.com/bedrockvideo/pipeline"

// testSupport are the packages that exist for tests: fakes, simulations
// and the conformance and end-to-end suites. They may link "testing"
// (net/http/httptest does); nothing else may link them.
var testSupport = []string{
	module + "/durable/durabletest",
	module + "/handler/awsfake",
	module + "/handler/simulation",
	module + "/tests/",
}

func isTestSupport(pkg string) bool {
	for _, p := range testSupport {
		if pkg == strings.TrimSuffix(p, "/") || (strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p)) {
			return true
		}
	}
	return false
}

// isTestingPackage reports whether a standard-library package is one of the
// testing packages.
func isTestingPackage(pkg string) bool {
	return pkg == "testing" || strings.HasPrefix(pkg, "testing/")
}

// goList runs `go list -deps`-style queries with the toolchain that compiled
// this test, even where the go on the PATH is older and GOTOOLCHAIN is
// "local".
func goList(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Env = gotoolchain.Environ(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Production packages (everything but test support) must not link the
// testing packages or any test-support package, directly or through a
// dependency: the Lambda bootstrap, videoctl and the Pulumi program ship
// only production code.
func TestProductionPackagesLinkNoTestCode(t *testing.T) {
	out := goList(t, "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", module+"/...")
	var production []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || isTestSupport(fields[0]) {
			continue
		}
		pkg := fields[0]
		production = append(production, pkg)
		for _, dep := range fields[1:] {
			if isTestingPackage(dep) || isTestSupport(dep) {
				t.Errorf("production package %s links %s; move what needs it into a _test.go file or a test-support package", pkg, dep)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The check means nothing if the listing missed the binaries.
	for _, want := range []string{module, module + "/handler/cmd/bootstrap", module + "/cmd/videoctl"} {
		if !slices.Contains(production, want) {
			t.Errorf("go list did not report %s; production packages found: %v", want, production)
		}
	}
}

// maxLines is the most lines a non-test Go file may have.
const maxLines = 700

func TestNoLongProductionFiles(t *testing.T) {
	root := strings.TrimSpace(string(goList(t, "-m", "-f", "{{.Dir}}")))
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if n := bytes.Count(data, []byte("\n")); n > maxLines {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s has %d lines; split it by concern to at most %d", rel, n, maxLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatalf("no Go files found under %s", root)
	}
}

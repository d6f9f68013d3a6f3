package durable

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every § section a comment in the module cites must exist in
// docs/durable-protocol.md, so a reader can follow the citation.
func TestProtocolCitationsResolve(t *testing.T) {
	notes, err := os.ReadFile("../docs/durable-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### (\d+\.\d+) `).FindAllStringSubmatch(string(notes), -1) {
		sections[m[1]] = true
	}
	cite := regexp.MustCompile(`§(\d+\.\d+)`)
	cited := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(src), -1) {
			cited++
			if !sections[m[1]] {
				t.Errorf("%s cites §%s, which docs/durable-protocol.md does not have", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Fatal("found no citations: the walk did not reach the sources")
	}
}

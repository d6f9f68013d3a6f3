package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bedrockvideo/pipeline/tests/conformance/fixture"
)

// TestEveryRequirementHasAHandler keeps the case table and the fixture
// folders in step: one handler per requirement of the five suites, and no
// handler for a requirement that does not exist.
func TestEveryRequirementHasAHandler(t *testing.T) {
	root := os.Getenv("CONFORMANCE_REQUIREMENTS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "..", "shared", "conformance", "test-requirements")
	}
	reqs, err := fixture.LoadSuites(root, "step", "wait", "child", "wait_for_condition", "map")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range reqs {
		want[r.ID] = true
		if _, ok := cases[r.ID]; !ok {
			t.Errorf("requirement %s (%s) has no handler", r.ID, r.Description)
		}
	}
	for id := range cases {
		if !want[id] {
			t.Errorf("handler %s has no requirement file", id)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, id := range []string{"1-1", "9-20", "bench-replay-0", "bench-replay-1000"} {
		if s, err := lookup(id); err != nil || s == nil {
			t.Errorf("lookup(%q) = %v, %v; want a handler", id, s, err)
		}
	}
	for _, tc := range []struct{ id, want string }{
		{"", "CASE is not set"},
		{"4-1", "CASE=4-1: unknown case"},
		{"bench-replay-", "want bench-replay-<N>"},
		{"bench-replay--3", "want bench-replay-<N>"},
	} {
		_, err := lookup(tc.id)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lookup(%q) error = %v, want one containing %q", tc.id, err, tc.want)
		}
	}
}

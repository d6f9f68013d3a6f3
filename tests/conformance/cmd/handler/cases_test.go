package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/tests/conformance/external"
	"github.com/bedrockvideo/pipeline/tests/conformance/fixture"
)

// requirements loads the fixtures of the suites the handler answers for.
func requirements(t *testing.T) []*fixture.Requirement {
	t.Helper()
	reqs, err := fixture.LoadSuites(fixture.RequirementsOrSkip(t), "step", "wait", "child", "wait_for_condition", "map", "callback", "wait_for_callback", "parallel", "invoke")
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestEveryRequirementHasAHandler keeps the case table and the fixture
// folders in step: one handler per requirement of the suites, and no
// handler for a requirement that does not exist.
func TestEveryRequirementHasAHandler(t *testing.T) {
	reqs := requirements(t)
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
		{"10-1", "CASE=10-1: unknown case"},
		{"bench-replay-", "want bench-replay-<N>"},
		{"bench-replay--3", "want bench-replay-<N>"},
	} {
		_, err := lookup(tc.id)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lookup(%q) error = %v, want one containing %q", tc.id, err, tc.want)
		}
	}
}

// crashCases end their process, so they only run as a compiled binary
// (tests/conformance).
var crashCases = map[string]bool{"1-17": true, "1-18": true, "3-12": true}

// TestCasesInProcess runs every case but the crash cases in this process
// through durabletest's in-process runner and checks it against its
// fixture. The conformance test in tests/conformance runs the same cases as
// a compiled binary; this one needs no build and localizes a failure to
// the handler and runtime rather than the process plumbing.
func TestCasesInProcess(t *testing.T) {
	for _, req := range requirements(t) {
		t.Run(req.ID, func(t *testing.T) {
			if crashCases[req.ID] {
				t.Skip("crash case: runs only as a process (tests/conformance)")
			}
			run, err := req.NewRun(nil)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := run.Payload()
			if err != nil {
				t.Fatal(err)
			}
			h := cases[req.ID]
			var runner *durabletest.Runner[json.RawMessage, json.RawMessage]
			var player *external.Player
			runner = durabletest.NewRawRunner(func(client durable.ExecutionClient) durable.RawHandler {
				return h.wrap(durable.WithExecutionClient(client), durable.WithLogHandler(messageJSONHandler(runner.LogWriter())))
			}, durabletest.WithOnBlocked(func(ctx context.Context, s *durabletest.Service, arn string) error {
				return player.OnBlocked(ctx, s, arn)
			}), durabletest.WithServiceOptions(external.InvokeTargets()...))
			player, err = external.New(runner.Service(), run.CallbackActions())
			if err != nil {
				t.Fatal(err)
			}
			defer player.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := runner.Run(ctx, payload)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			err = run.Check(fixture.Outcome{Status: string(res.Status), Result: res.RawResult, History: res.History, Logs: res.Logs})
			if err != nil && req.Optional {
				t.Skipf("optional requirement not met:\n%v", err)
			}
			if err != nil {
				t.Errorf("%s: %s\n%v\noperations:\n%s\nlogs:\n%s", req.ID, req.Description, err, res.Tree(), res.Logs)
			}
		})
	}
}

// Package conformance runs the durable-execution conformance requirements
// of the suites step, wait, child, callback, invoke, wait_for_condition,
// wait_for_callback, parallel and map against the durable runtime: the
// handler binary (cmd/handler) is compiled once and every requirement runs
// as a real process through durabletest's HTTP emulator and Lambda Runtime
// API, then its history, result and logs are checked against the fixture.
// See README.md.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
	"github.com/bedrockvideo/pipeline/tests/conformance/external"
	"github.com/bedrockvideo/pipeline/tests/conformance/fixture"
)

// suites are the conformance suites this runtime answers for.
var suites = []string{"step", "wait", "child", "wait_for_condition", "map", "callback", "wait_for_callback", "parallel", "invoke"}

// handlerBinary is the compiled cmd/handler, built once by TestMain.
var handlerBinary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "conformance-handler-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	handlerBinary = filepath.Join(dir, "handler")
	build := exec.Command("go", "build", "-o", handlerBinary, "./cmd/handler")
	build.Env = gotoolchain.Environ(os.Environ())
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: build cmd/handler:", err)
		return 1
	}
	return m.Run()
}

// unsupported is one entry of unsupported.yaml.
type unsupported struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
}

// loadUnsupported reads unsupported.yaml: the requirements the runtime
// cannot meet yet, each with its reason.
func loadUnsupported(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("unsupported.yaml")
	if err != nil {
		t.Fatalf("read the unsupported list: %v", err)
	}
	var list []unsupported
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatalf("parse unsupported.yaml: %v", err)
	}
	out := map[string]string{}
	for _, u := range list {
		if u.ID == "" || strings.TrimSpace(u.Reason) == "" {
			t.Fatalf("unsupported.yaml: entry %+v needs an id and a reason", u)
		}
		if _, dup := out[u.ID]; dup {
			t.Fatalf("unsupported.yaml: %s is listed twice", u.ID)
		}
		out[u.ID] = strings.TrimSpace(u.Reason)
	}
	return out
}

// runCase runs the handler binary for a case id with the given payload
// through durabletest's process runner and returns its outcome. The
// callback actions, if any, are sent through the Lambda API while the
// execution waits for them.
func runCase(t testing.TB, id string, payload []byte, actions []fixture.CallbackAction) (*durabletest.Result[json.RawMessage], error) {
	opts := []durabletest.Option{
		durabletest.WithEnv("CASE="+id, "CONFORMANCE_STATE_DIR="+t.TempDir()),
		durabletest.WithFunctionTimeout(30 * time.Second),
		durabletest.WithServiceOptions(external.InvokeTargets()...),
	}
	var player *external.Player
	opts = append(opts, durabletest.WithOnBlocked(func(ctx context.Context, s *durabletest.Service, arn string) error {
		return player.OnBlocked(ctx, s, arn)
	}))
	runner := durabletest.NewProcessRunner[json.RawMessage, json.RawMessage](handlerBinary, opts...)
	player, err := external.New(runner.Service(), actions)
	if err != nil {
		return nil, err
	}
	defer player.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return runner.Run(ctx, payload)
}

// TestConformance runs every requirement of the suites as a process and
// checks it against its fixture. A requirement on the unsupported list is
// skipped with its reason if it fails, and fails the test if it passes, so
// the list stays honest. An optional requirement (1-7) that fails is
// skipped, as the suite's README says it is not a conformance failure.
func TestConformance(t *testing.T) {
	reqs, err := fixture.LoadSuites(fixture.RequirementsOrSkip(t), suites...)
	if err != nil {
		t.Fatalf("load fixtures: %v", err)
	}
	skip := loadUnsupported(t)
	known := map[string]bool{}
	for _, r := range reqs {
		known[r.ID] = true
	}
	var stale []string
	for id := range skip {
		if !known[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("unsupported.yaml lists ids that are no requirement of %v: %v", suites, stale)
	}

	for _, req := range reqs {
		t.Run(req.ID, func(t *testing.T) {
			t.Parallel()
			err := checkRequirement(t, req)
			reason, listed := skip[req.ID]
			switch {
			case listed && err == nil:
				t.Errorf("%s passes but unsupported.yaml lists it (%s); remove it from the list", req.ID, reason)
			case listed:
				t.Skipf("unsupported: %s\n%v", reason, err)
			case err != nil && req.Optional:
				t.Skipf("optional requirement not met: %v", err)
			case err != nil:
				t.Errorf("%s (%s):\n%v", req.ID, req.Description, err)
			}
		})
	}
}

// checkRequirement runs one requirement and checks history, result and
// logs. The error describes every mismatch, the operation tree and the
// function's output.
func checkRequirement(t *testing.T, req *fixture.Requirement) error {
	run, err := req.NewRun(nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := run.Payload()
	if err != nil {
		t.Fatal(err)
	}
	res, err := runCase(t, req.ID, payload, run.CallbackActions())
	if err != nil {
		t.Fatalf("run %s: %v", req.ID, err)
	}
	if res.CapReached {
		return fmt.Errorf("the execution did not end within %d invocations\noperations:\n%s\nlogs:\n%s", res.Invocations, res.Tree(), res.Logs)
	}
	err = run.Check(fixture.Outcome{Status: string(res.Status), Result: res.RawResult, History: res.History, Logs: res.Logs})
	if err != nil {
		return fmt.Errorf("%w\noperations:\n%s\nlogs:\n%s", err, res.Tree(), res.Logs)
	}
	return nil
}

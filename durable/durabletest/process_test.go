package durabletest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildOut  []byte
)

// buildFn compiles testdata/fn once per test binary.
func buildFn(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "durabletest-fn")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "bootstrap"), "./testdata/fn")
		cmd.Env = append(gotoolchain.Environ(os.Environ()), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build testdata/fn: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(buildDir, "bootstrap")
}

type fnInput struct {
	Items []string `json:"items"`
}

type fnOutput struct {
	Labels []string `json:"labels"`
	Region string   `json:"region"`
}

func TestProcessRunnerCrashAndRestart(t *testing.T) {
	bin := buildFn(t)
	crashFile := filepath.Join(t.TempDir(), "crashed")
	r := NewProcessRunner[fnInput, fnOutput](bin,
		WithEnv("CRASH_FILE="+crashFile, "GREETING=hello"),
		WithServiceOptions(WithPageSize(2), WithFunction("eu-west-1", "111122223333", "labeller", "7")))
	res, err := r.Run(context.Background(), fnInput{Items: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || strings.Join(res.Value.Labels, ",") != "A,B,C" || res.Value.Region != "eu-west-1" {
		t.Fatalf("status %s value %+v error %+v\n%s\n%s\nlogs:\n%s", res.Status, res.Value, res.Error, res.Tree(), eventTypes(res.History), res.Logs)
	}
	if _, err := os.Stat(crashFile); err != nil {
		t.Errorf("the function did not crash: %v", err)
	}
	ic := res.Events(EventInvocationCompleted)
	if e := ic[0].InvocationCompletedDetails.Error; e == nil || e.Payload.ErrorType != "Runtime.ExitError" || !strings.Contains(e.Payload.ErrorMessage, "exit status 7") {
		t.Errorf("first invocation: %+v", ic[0].InvocationCompletedDetails)
	}
	// Crash, risky+flaky attempt 1, flaky attempt 2 + wait, wait fired.
	if res.Invocations != 4 {
		t.Errorf("%d invocations\n%s", res.Invocations, eventTypes(res.History))
	}
	if !strings.Contains(res.Logs, "crashing on purpose") || !strings.Contains(res.Logs, `"greeting":"hello"`) {
		t.Errorf("logs:\n%s", res.Logs)
	}
	if !strings.Contains(res.ExecutionArn, "arn:aws:lambda:eu-west-1:111122223333:function:labeller:7/durable-execution/") {
		t.Errorf("arn %s", res.ExecutionArn)
	}
}

func TestProcessRunnerFaults(t *testing.T) {
	bin := buildFn(t)
	for _, opt := range []struct {
		name string
		o    Option
	}{
		{"crash-after-2", WithCrashAfterCheckpoint(2)},
		{"throttle-1", WithCheckpointFault(1, FaultThrottle)},
		{"server-error-2", WithCheckpointFault(2, FaultServerError)},
		{"stale-3", WithCheckpointFault(3, FaultStaleToken)},
		{"no-token-2", WithCheckpointFault(2, FaultNoToken)},
	} {
		t.Run(opt.name, func(t *testing.T) {
			r := NewProcessRunner[fnInput, fnOutput](bin, opt.o)
			res, err := r.Run(context.Background(), fnInput{Items: []string{"x", "y"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusSucceeded || strings.Join(res.Value.Labels, ",") != "X,Y" {
				t.Fatalf("status %s value %+v error %+v\n%s\nlogs:\n%s", res.Status, res.Value, res.Error, eventTypes(res.History), res.Logs)
			}
		})
	}
}

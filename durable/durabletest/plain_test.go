package durabletest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	plainOnce sync.Once
	plainDir  string
	plainErr  error
	plainOut  []byte
)

// buildPlain compiles testdata/plain once per test binary, with the tag
// the deployment builds plain functions with.
func buildPlain(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	plainOnce.Do(func() {
		plainDir, plainErr = os.MkdirTemp("", "durabletest-plain")
		if plainErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(plainDir, "bootstrap"), "./testdata/plain")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if v := runtime.Version(); strings.HasPrefix(v, "go") {
			cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+v)
		}
		plainOut, plainErr = cmd.CombinedOutput()
	})
	if plainErr != nil {
		t.Fatalf("build testdata/plain: %v\n%s", plainErr, plainOut)
	}
	return filepath.Join(plainDir, "bootstrap")
}

const plainARN = "arn:aws:lambda:eu-central-1:123456789012:function:greeter"

func TestPlainFunctionAnswersAndFailsInvocations(t *testing.T) {
	f, err := StartPlainFunction(t, buildPlain(t), plainARN, []string{"MODE=test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	out, err := f.Invoke(ctx, []byte(`{"name":"ada"}`))
	if err != nil {
		t.Fatalf("Invoke: %v\n%s", err, f.Logs())
	}
	var got struct{ Greeting, Region, Mode string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	// The region comes from the ARN, as on Lambda; env reaches the process.
	if got.Greeting != "hello ada" || got.Region != "eu-central-1" || got.Mode != "test" {
		t.Errorf("response %+v, want hello ada from eu-central-1 in mode test", got)
	}
	// The line logged before the answer is in the logs once Invoke returned.
	if !strings.Contains(f.Logs(), `"msg":"greeting","name":"ada"`) {
		t.Errorf("logs lack the invocation's line:\n%s", f.Logs())
	}

	_, err = f.Invoke(ctx, []byte(`{"name":"bob","fail":true}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Message != "refusing bob" || fe.Type == "" {
		t.Fatalf("failed invocation returned %v, want a FunctionError with the function's message", err)
	}

	// The process keeps serving after a failed invocation.
	if _, err := f.Invoke(ctx, []byte(`{"name":"cy"}`)); err != nil {
		t.Fatalf("Invoke after a failure: %v", err)
	}

	// A process that exits fails the invocation as Lambda reports it.
	_, err = f.Invoke(ctx, []byte(`{"name":"dee","exit":true}`))
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Fatalf("invocation of an exiting process returned %v, want Runtime.ExitError with exit status 3", err)
	}
}

func TestPlainFunctionReportsInitErrors(t *testing.T) {
	f, err := StartPlainFunction(t, buildPlain(t), plainARN, []string{"INIT_ERROR=missing setting GREETING"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 { // the first invocation waits for the exit, the next one knows
		_, err = f.Invoke(ctx, []byte(`{"name":"ada"}`))
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "InitFailed" || fe.Message != "missing setting GREETING" {
			t.Fatalf("Invoke returned %v, want the init error", err)
		}
	}
}

func TestPlainFunctionRejectsBadArguments(t *testing.T) {
	bin := buildPlain(t)
	for _, tc := range []struct{ name, binary, arn, want string }{
		{"not an ARN", bin, "greeter", `function ARN "greeter" must be`},
		{"not a function ARN", bin, "arn:aws:s3:::bucket", `function ARN "arn:aws:s3:::bucket" must be`},
		{"no region", bin, "arn:aws:lambda::123456789012:function:greeter", "must be arn:"},
		{"missing binary", filepath.Join(t.TempDir(), "nothing"), plainARN, "function binary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := StartPlainFunction(t, tc.binary, tc.arn, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("StartPlainFunction = %v, %v; want an error saying %q", f, err, tc.want)
			}
		})
	}
}

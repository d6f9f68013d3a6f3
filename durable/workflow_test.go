package durable_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

func TestPayloadWithoutDurableFieldsSaysTheFunctionIsNotDurable(t *testing.T) {
	h := durable.Wrap(func(ctx durable.Context, in string) (string, error) { return in, nil }, durable.WithExecutionClient(&refusingClient{}))
	for _, payload := range []string{`{}`, `{"Records":[]}`, `{"DurableExecutionArn":"arn:aws:lambda:us-east-1:1:function:f:1/durable-execution/a/b"}`, `not json`} {
		_, err := h(context.Background(), []byte(payload))
		if err == nil || !strings.Contains(err.Error(), "not configured as a durable function") {
			t.Errorf("payload %s: got %v", payload, err)
		}
	}
}

func TestChangedCodeFailsTheExecutionAsNonDeterministic(t *testing.T) {
	var invocations atomic.Int32
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		name := "reserve"
		if invocations.Add(1) > 1 {
			name = "charge" // a deployment renamed the step
		}
		if _, err := durable.Step(ctx, name, func(durable.StepContext) (string, error) { return "ok", nil }); err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "pause", time.Minute); err != nil {
			return "", err
		}
		return "done", nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusFailed || res.Error == nil || res.Error.ErrorType != "NonDeterministicExecutionError" {
		t.Fatalf("status %s, error %+v; want FAILED with NonDeterministicExecutionError\n%s", res.Status, res.Error, res.Tree())
	}
	if !strings.Contains(res.Error.ErrorMessage, `"reserve"`) || !strings.Contains(res.Error.ErrorMessage, `"charge"`) {
		t.Errorf("message does not name both operations: %s", res.Error.ErrorMessage)
	}
}

func TestUserCodeSwallowingSuspensionStillSuspends(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		if err := durable.Wait(ctx, "pause", 30*time.Second); err != nil && durable.IsSuspended(err) {
			return "swallowed", nil // wrong, but the runtime must not report success
		}
		return "after wait", nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || res.Value != "after wait" || res.Invocations != 2 {
		t.Fatalf("status %s value %q after %d invocations; want SUCCEEDED \"after wait\" after 2", res.Status, res.Value, res.Invocations)
	}
}

func TestSuspensionWaitsForInFlightSteps(t *testing.T) {
	var runs atomic.Int32
	r := durabletest.NewRunner(func(ctx durable.Context, in string) ([]string, error) {
		res, err := durable.Map(ctx, "work", []int{0, 1}, func(c durable.Context, item, _ int) (string, error) {
			if item == 0 {
				return "waited", durable.Wait(c, "pause", time.Hour)
			}
			return durable.Step(c, "slow", func(durable.StepContext) (string, error) {
				runs.Add(1)
				time.Sleep(50 * time.Millisecond) // still running when item 0 blocks
				return "computed", nil
			})
		})
		if err != nil {
			return nil, err
		}
		return res.Results(), nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || strings.Join(res.Value, ",") != "waited,computed" {
		t.Fatalf("status %s value %v\n%s", res.Status, res.Value, res.Tree())
	}
	if runs.Load() != 1 || res.Invocations != 2 {
		t.Errorf("step ran %d times over %d invocations; want once, with one suspension", runs.Load(), res.Invocations)
	}
}

func TestTimerDueDuringBusyInvocationResumesInPlace(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) ([]string, error) {
		res, err := durable.Map(ctx, "work", []int{0, 1}, func(c durable.Context, item, _ int) (string, error) {
			if item == 0 {
				return "waited", durable.Wait(c, "short", time.Second)
			}
			return durable.Step(c, "long", func(durable.StepContext) (string, error) {
				time.Sleep(1500 * time.Millisecond) // the wait comes due meanwhile
				return "computed", nil
			})
		})
		if err != nil {
			return nil, err
		}
		return res.Results(), nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || res.Invocations != 1 {
		t.Fatalf("status %s after %d invocations; want SUCCEEDED in one (the poll must pick up the fired timer)\n%s", res.Status, res.Invocations, res.Tree())
	}
}

func TestLogLinesAreWrittenOnceAcrossReplays(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		ctx.Logger().Info("before-wait")
		if err := durable.Wait(ctx, "pause", time.Minute); err != nil {
			return "", err
		}
		ctx.Logger().Info("after-wait")
		if err := durable.Wait(ctx, "pause-again", time.Minute); err != nil {
			return "", err
		}
		return "done", nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Invocations != 3 {
		t.Fatalf("%d invocations, want 3", res.Invocations)
	}
	for _, line := range []string{"before-wait", "after-wait"} {
		if n := strings.Count(res.Logs, `"`+line+`"`); n != 1 {
			t.Errorf("%q logged %d times, want once; logs:\n%s", line, n, res.Logs)
		}
	}
}

func TestMapCompletionPolicies(t *testing.T) {
	intp := func(n int) *int { return &n }
	tests := []struct {
		name        string
		completion  durable.CompletionConfig
		wantReason  durable.CompletionReason
		wantStarted int
	}{
		{"no policy runs every item", durable.CompletionConfig{}, durable.AllCompleted, 5},
		{"fail fast stops at the first failure", durable.CompletionConfig{ToleratedFailureCount: intp(0)}, durable.FailureToleranceExceeded, 2},
		{"tolerating one failure stops at the second", durable.CompletionConfig{ToleratedFailureCount: intp(1)}, durable.FailureToleranceExceeded, 4},
		{"min successful stops early", durable.CompletionConfig{MinSuccessful: intp(1)}, durable.MinSuccessfulReached, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := durabletest.NewRunner(func(ctx durable.Context, items []int) (durable.BatchResult[int], error) {
				return durable.Map(ctx, "items", items, func(c durable.Context, item, _ int) (int, error) {
					if item%2 == 1 {
						return 0, errors.New("odd")
					}
					return item, nil
				}, durable.WithMaxConcurrency(1), durable.WithCompletion(tt.completion))
			})
			res, err := r.Run(context.Background(), []int{0, 1, 2, 3, 4})
			if err != nil {
				t.Fatal(err)
			}
			if res.Value.CompletionReason != tt.wantReason || res.Value.TotalCount() != tt.wantStarted {
				t.Fatalf("reason %s with %d items, want %s with %d", res.Value.CompletionReason, res.Value.TotalCount(), tt.wantReason, tt.wantStarted)
			}
			if f := res.Value.FailureCount(); f > 0 {
				var opErr *durable.OperationError
				if !errors.As(res.Value.Err(), &opErr) || opErr.Message != "odd" {
					t.Errorf("Err() = %v, want the recorded item error", res.Value.Err())
				}
			}
		})
	}
}

func TestStepErrorIsTheSameOnReplay(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		_, err := durable.Step(ctx, "fails", func(durable.StepContext) (int, error) {
			return 0, &quotaError{}
		}, durable.WithRetry(durable.NoRetry))
		if err := durable.Wait(ctx, "pause", time.Second); err != nil {
			return "", err
		}
		var opErr *durable.OperationError
		if !errors.As(err, &opErr) {
			return "", errors.New("not an OperationError")
		}
		return opErr.Type + ": " + opErr.Message, nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != "QuotaExceeded: quota exceeded" || res.Invocations != 2 {
		t.Fatalf("got %q after %d invocations", res.Value, res.Invocations)
	}
}

type quotaError struct{}

func (*quotaError) Error() string     { return "quota exceeded" }
func (*quotaError) ErrorType() string { return "QuotaExceeded" }

func TestLogsAfterAMapThatFinishedInALaterInvocationAreWritten(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		if _, err := durable.Map(ctx, "items", []int{1}, func(c durable.Context, item, _ int) (int, error) {
			return item, durable.Wait(c, "pause", 10*time.Second)
		}); err != nil {
			return "", err
		}
		ctx.Logger().Info("after-map")
		return "done", nil
	})
	res, err := r.Run(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(res.Logs, `"after-map"`); n != 1 || res.Invocations != 2 {
		t.Fatalf("\"after-map\" logged %d times over %d invocations, want once over 2; logs:\n%s", n, res.Invocations, res.Logs)
	}
}

package durable_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// failingSerdes refuses to encode anything.
type failingSerdes struct{ durable.JSONSerdes }

func (failingSerdes) Serialize(any) (string, error) { return "", errors.New("cannot encode") }

// describeErr names err's operation error type (matched with errors.As),
// and checks it is also an *OperationError.
func describeErr(err error) string {
	var opErr *durable.OperationError
	if !errors.As(err, &opErr) {
		return fmt.Sprintf("not an *OperationError: %v", err)
	}
	var (
		step  *durable.StepError
		cond  *durable.WaitForConditionError
		child *durable.ChildContextError
		mp    *durable.MapError
		item  *durable.MapItemError
	)
	kind := "OperationError"
	switch {
	case errors.As(err, &step):
		kind = "StepError"
	case errors.As(err, &cond):
		kind = "WaitForConditionError"
	case errors.As(err, &child):
		kind = "ChildContextError"
	case errors.As(err, &mp):
		kind = "MapError"
	case errors.As(err, &item):
		kind = "MapItemError"
	}
	return fmt.Sprintf("%s(%s %q: %s: %s)", kind, opErr.Kind, opErr.Name, opErr.Type, opErr.Message)
}

// Each operation fails with its own error type, every one an
// *OperationError, and the same after a replay as on the first run.
func TestOperationErrorsAreTypedPerOperation(t *testing.T) {
	kaput := errors.New("kaput")
	for _, tc := range []struct {
		name string
		run  func(ctx durable.Context) error
		want string
	}{
		{"step", func(ctx durable.Context) error {
			_, err := durable.Step(ctx, "charge", func(durable.StepContext) (int, error) { return 0, kaput }, durable.WithRetry(durable.NoRetry))
			return err
		}, `StepError(step "charge": Error: kaput)`},
		{"wait for condition", func(ctx durable.Context) error {
			_, err := durable.WaitForCondition(ctx, "shipped", func(_ durable.StepContext, n int) (int, error) { return n + 1, nil },
				durable.ConditionConfig[int]{WaitStrategy: durable.WaitPolicy[int]{MaxAttempts: 2, InitialDelay: time.Second}.Strategy()})
			return err
		}, `WaitForConditionError(wait for condition "shipped": WaitAttemptsExceeded: condition not met after 2 checks)`},
		{"child context", func(ctx durable.Context) error {
			_, err := durable.RunInChildContext(ctx, "summarize", func(durable.Context) (int, error) { return 0, kaput })
			return err
		}, `ChildContextError(child context "summarize": Error: kaput)`},
		{"map", func(ctx durable.Context) error {
			_, err := durable.Map(ctx, "items", []int{1}, func(_ durable.Context, item, _ int) (int, error) { return item, nil }, durable.WithBatchSerdes(failingSerdes{}))
			return err
		}, `MapError(map "items": SerdesError: durable: serialization failed: cannot encode)`},
		{"map item", func(ctx durable.Context) error {
			res, err := durable.Map(ctx, "items", []int{1}, func(_ durable.Context, item, _ int) (int, error) { return 0, kaput })
			if err != nil {
				return fmt.Errorf("map itself failed: %w", err)
			}
			return res.Err()
		}, `MapItemError(map item "map-item-0": Error: kaput)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []string
			r := durabletest.NewRunner(func(ctx durable.Context, _ int) (string, error) {
				err := tc.run(ctx)
				if durable.IsSuspended(err) {
					return "", err
				}
				seen = append(seen, describeErr(err))
				// A wait makes a second invocation replay the failure.
				if err := durable.Wait(ctx, "pause", time.Second); err != nil {
					return "", err
				}
				return "done", nil
			})
			res, err := r.Run(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != durabletest.StatusSucceeded || len(seen) < 2 {
				t.Fatalf("status %s after %d invocations: %v", res.Status, res.Invocations, seen)
			}
			for i, got := range seen {
				if got != tc.want {
					t.Errorf("invocation %d: %s\n want %s", i+1, got, tc.want)
				}
			}
		})
	}
}

// The error an operation returns names the operation and the recorded
// error, so a handler that returns it unchanged fails the execution with a
// message a reader can act on.
func TestOperationErrorMessageNamesTheOperation(t *testing.T) {
	err := error(&durable.StepError{OperationError: durable.OperationError{Kind: "step", Name: "charge", Type: "QuotaExceeded", Message: "quota exceeded"}})
	if got := err.Error(); !strings.Contains(got, `step "charge" failed`) || !strings.Contains(got, "QuotaExceeded: quota exceeded") {
		t.Errorf("message %q", got)
	}
}

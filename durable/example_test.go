package durable_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// A step's body runs once; its result is recorded, and every later
// invocation replays the recorded value instead of running the body again.
// Here the wait ends the first invocation, and the second replays the step.
func ExampleStep() {
	runs := 0
	handler := func(ctx durable.Context, name string) (string, error) {
		greeting, err := durable.Step(ctx, "compose", func(sc durable.StepContext) (string, error) {
			runs++
			return "Hello, " + name, nil
		})
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "pause", time.Hour); err != nil {
			return "", err
		}
		return greeting + "!", nil
	}

	res, err := durabletest.NewRunner(handler).Run(context.Background(), "Ada")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Value)
	fmt.Println("invocations:", res.Invocations, "body runs:", runs)
	// Output:
	// SUCCEEDED Hello, Ada!
	// invocations: 2 body runs: 1
}

// A failing step is retried by its retry strategy, each delay spent
// suspended; when the strategy gives up, the step returns an
// *OperationError rebuilt from the record, the same on every replay.
func ExampleStep_retry() {
	handler := func(ctx durable.Context, _ struct{}) (string, error) {
		_, err := durable.Step(ctx, "charge", func(sc durable.StepContext) (int, error) {
			return 0, fmt.Errorf("card declined on attempt %d", sc.Attempt())
		}, durable.WithRetry(durable.RetryPolicy{MaxAttempts: 3, InitialDelay: 2 * time.Second, Jitter: durable.JitterNone}.Strategy()))
		var opErr *durable.OperationError
		if errors.As(err, &opErr) {
			return "gave up: " + opErr.Message, nil
		}
		return "charged", err
	}

	res, err := durabletest.NewRunner(handler).Run(context.Background(), struct{}{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Value)
	fmt.Println("invocations:", res.Invocations)
	// Output:
	// SUCCEEDED gave up: card declined on attempt 3
	// invocations: 3
}

// Map runs an item function per item, each in a child context of its own.
// A failed item does not fail the Map: it is reported in the BatchResult.
func ExampleMap() {
	handler := func(ctx durable.Context, words []string) ([]string, error) {
		res, err := durable.Map(ctx, "shout", words, func(ctx durable.Context, w string, i int) (string, error) {
			return durable.Step(ctx, "upper", func(durable.StepContext) (string, error) {
				if w == "" {
					return "", errors.New("empty word")
				}
				return strings.ToUpper(w), nil
			}, durable.WithRetry(durable.NoRetry))
		}, durable.WithMaxConcurrency(2))
		if err != nil {
			return nil, err
		}
		var out []string
		for _, item := range res.Items {
			if item.Err != nil {
				out = append(out, fmt.Sprintf("#%d failed: %v", item.Index, item.Err))
				continue
			}
			out = append(out, item.Result)
		}
		out = append(out, string(res.CompletionReason))
		return out, nil
	}

	res, err := durabletest.NewRunner(handler).Run(context.Background(), []string{"ready", "", "go"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status)
	for _, line := range res.Value {
		fmt.Println(line)
	}
	// Output:
	// SUCCEEDED
	// READY
	// #1 failed: map item "map-item-1" failed: Error: empty word
	// GO
	// ALL_COMPLETED
}

// WaitForCondition polls until the check's state says done. The first check
// runs at once; between checks the state is recorded and the execution
// suspends, so the polling costs no compute while it waits.
func ExampleWaitForCondition() {
	checks := 0
	handler := func(ctx durable.Context, job string) (string, error) {
		status, err := durable.WaitForCondition(ctx, "job-done", func(sc durable.StepContext, s string) (string, error) {
			checks++
			if checks < 3 {
				return "IN_PROGRESS", nil // an outside job, still running
			}
			return "COMPLETED", nil
		}, durable.ConditionConfig[string]{
			InitialState: "SUBMITTED",
			WaitStrategy: durable.WaitPolicy[string]{
				Done:         func(s string) bool { return s == "COMPLETED" },
				InitialDelay: 30 * time.Second,
				Jitter:       durable.JitterNone,
			}.Strategy(),
		})
		if err != nil {
			return "", err
		}
		return job + " " + status, nil
	}

	res, err := durabletest.NewRunner(handler).Run(context.Background(), "render-42")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Value)
	fmt.Println("checks:", checks, "invocations:", res.Invocations)
	// Output:
	// SUCCEEDED render-42 COMPLETED
	// checks: 3 invocations: 3
}

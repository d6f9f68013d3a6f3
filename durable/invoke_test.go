package durable_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// invokeReport is what the workflow under test learns from Invoke.
type invokeReport struct {
	Result   int    `json:"result"`
	Status   string `json:"status"`
	TimedOut bool   `json:"timedOut"`
	Type     string `json:"type"`
}

func TestInvokeOutcomesAreTypedOnFirstRunAndReplay(t *testing.T) {
	// The target is a durable function of its own: it doubles its input
	// after a wait, fails for a negative one and outlives its execution
	// timeout for zero.
	target := durabletest.NewRunner(func(ctx durable.Context, n int) (int, error) {
		if n < 0 {
			return 0, errors.New("negative input")
		}
		wait := time.Second
		if n == 0 {
			wait = time.Hour
		}
		if err := durable.Wait(ctx, "think", wait); err != nil {
			return 0, err
		}
		return 2 * n, nil
	}, durabletest.WithExecutionTimeout(time.Minute))
	for _, tc := range []struct {
		name     string
		function string
		input    int
		want     invokeReport
	}{
		{"success", "doubler:1", 21, invokeReport{Result: 42}},
		{"failure", "doubler:1", -1, invokeReport{Status: "FAILED", Type: "Error"}},
		{"timeout", "arn:aws:lambda:us-east-1:123456789012:function:doubler:1", 0, invokeReport{Status: "TIMED_OUT", TimedOut: true, Type: "Invoke.Timeout"}},
		{"unknown function", "nobody:1", 1, invokeReport{Status: "FAILED", Type: "ResourceNotFoundException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reports []invokeReport
			r := durabletest.NewRunner(func(ctx durable.Context, in int) (invokeReport, error) {
				v, err := durable.Invoke[int](ctx, "double", tc.function, in)
				rep := invokeReport{Result: v}
				var ie *durable.InvokeError
				if errors.As(err, &ie) {
					rep = invokeReport{Status: ie.Status, TimedOut: ie.TimedOut(), Type: ie.Type}
				} else if err != nil {
					return rep, err
				}
				reports = append(reports, rep)
				return rep, durable.Wait(ctx, "after", time.Second)
			}, durabletest.WithServiceOptions(durabletest.WithInvokeTarget("doubler", durabletest.DurableTarget(target))))
			res, err := r.Run(context.Background(), tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != durabletest.StatusSucceeded || len(reports) != 2 {
				t.Fatalf("status %s after %d returns; want SUCCEEDED after 2 (live, replayed)\n%s", res.Status, len(reports), res.Tree())
			}
			for i, rep := range reports {
				if rep != tc.want {
					t.Errorf("return %d: %+v; want %+v", i+1, rep, tc.want)
				}
			}
			started := res.Events(durabletest.EventChainedInvokeStarted)
			if len(started) != 1 || started[0].ChainedInvokeStartedDetails.ExecutedVersion != "1" ||
				!strings.Contains(started[0].ChainedInvokeStartedDetails.DurableExecutionArn, "/durable-execution/") {
				t.Errorf("ChainedInvokeStarted events %+v; want one with ExecutedVersion 1 and the target's execution ARN", started)
			}
		})
	}
}

func TestInvokeRejectsAnOversizedPayloadBeforeRecordingAnything(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		return durable.Invoke[string](ctx, "big", "f:1", strings.Repeat("x", durable.MaxInvokePayload))
	})
	res, err := r.Run(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusFailed || !strings.Contains(res.Error.ErrorMessage, "may be at most 1048576 bytes") || len(res.Operations) != 1 {
		t.Errorf("status %s, error %+v, %d operations; want FAILED naming the limit before any operation", res.Status, res.Error, len(res.Operations))
	}
}

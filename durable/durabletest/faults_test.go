package durabletest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// isRetry matches the RETRY update of a failed step attempt.
func isRetry(u wire.OperationUpdate) bool {
	return u.Type == wire.TypeStep && u.Action == wire.ActionRetry
}

// isMapDone matches the checkpoint that completes a Map.
func isMapDone(u wire.OperationUpdate) bool {
	return u.Type == wire.TypeContext && u.SubType == wire.SubTypeMap && u.Action == wire.ActionSucceed
}

// startRecorded is an execution client that closes started once a call
// carrying a STEP START has been accepted.
type startRecorded struct {
	durable.ExecutionClient
	once    sync.Once
	started chan struct{}
}

func (c *startRecorded) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	resp, err := c.ExecutionClient.Checkpoint(ctx, req)
	for _, u := range req.Updates {
		if err == nil && u.Type == wire.TypeStep && u.Action == wire.ActionStart {
			c.once.Do(func() { close(c.started) })
		}
	}
	return resp, err
}

// newFlakyRunner runs one step that fails its first two attempts. The first
// run of the body waits until the step's START is recorded, so the START and
// the RETRY travel in separate calls and a fault aimed at the RETRY finds
// the step STARTED. The body gives up failing after 1,000 runs so that a
// runtime that re-runs it in a loop ends the test with a count instead of
// hanging it.
func newFlakyRunner(runs *atomic.Int32, semantics durable.Semantics, opts ...Option) *Runner[int, string] {
	var r *Runner[int, string]
	client := &startRecorded{started: make(chan struct{})}
	r = NewRunner(func(ctx durable.Context, _ int) (string, error) {
		return durable.Step(ctx, "flaky", func(sc durable.StepContext) (string, error) {
			if runs.Load() == 0 {
				select {
				case <-client.started:
				case <-time.After(5 * time.Second):
				}
			}
			if runs.Add(1) < 1000 && sc.Attempt() < 3 {
				return "", errFlaky
			}
			return fmt.Sprintf("ok after %d attempts", sc.Attempt()), nil
		}, durable.WithSemantics(semantics), durable.WithRetry(durable.RetryPolicy{MaxAttempts: 5, InitialDelay: time.Second, Jitter: durable.JitterNone}.Strategy()))
	}, append(opts, WithHandlerOptions(durable.WithExecutionClient(client)))...)
	client.ExecutionClient = r.Service()
	return r
}

// failedInvocations counts invocations that ended with an error response,
// the way a runtime asks Lambda to retry an invocation.
func failedInvocations[O any](res *Result[O]) int {
	n := 0
	for _, ev := range res.Events(EventInvocationCompleted) {
		if ev.InvocationCompletedDetails.Error != nil {
			n++
		}
	}
	return n
}

// A failed RETRY checkpoint must end the invocation for Lambda to retry;
// the step body must not run again in the same invocation.
func TestFailedRetryCheckpointEndsTheInvocation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opt       Option
		semantics durable.Semantics
		runs      int32 // body runs over the whole execution
	}{
		// Invocation 1: attempt 1 fails, its RETRY is refused. Invocation 2
		// finds the step STARTED and runs attempt 1 again, then 2 and 3.
		{"ServerErrorOnRetry", WithCheckpointFaultOn(FaultServerError, isRetry), durable.AtLeastOncePerRetry, 4},
		{"ThrottleOnRetry", WithCheckpointFaultOn(FaultThrottle, isRetry), durable.AtLeastOncePerRetry, 4},
		// At most once: the interrupted attempt 1 is recorded as failed,
		// not run again, so the body runs for attempts 1, 2 and 3.
		{"AtMostOnceServerErrorOnRetry", WithCheckpointFaultOn(FaultServerError, isRetry), durable.AtMostOncePerRetry, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var runs atomic.Int32
			res, err := newFlakyRunner(&runs, tc.semantics, tc.opt).Run(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusSucceeded || res.Value != "ok after 3 attempts" {
				t.Fatalf("status %s value %q error %+v\n%s", res.Status, res.Value, res.Error, eventTypes(res.History))
			}
			if got := runs.Load(); got != tc.runs {
				t.Errorf("step body ran %d times, want %d", got, tc.runs)
			}
			if got := failedInvocations(res); got != 1 {
				t.Errorf("%d invocations ended with an error, want 1 (the one whose checkpoint failed)\n%s", got, eventTypes(res.History))
			}
		})
	}
}

// The fault of the reproduction: the second checkpoint call fails,
// whatever it carries. The body runs a handful of times, never in a loop.
func TestSecondCheckpointFaultDoesNotLoopTheStep(t *testing.T) {
	for _, f := range []Fault{FaultServerError, FaultThrottle, FaultNoToken, FaultStaleToken} {
		t.Run(f.String(), func(t *testing.T) {
			var runs atomic.Int32
			res, err := newFlakyRunner(&runs, durable.AtLeastOncePerRetry, WithCheckpointFault(2, f)).Run(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusSucceeded || res.Value != "ok after 3 attempts" {
				t.Fatalf("status %s value %q error %+v\n%s", res.Status, res.Value, res.Error, eventTypes(res.History))
			}
			if got := runs.Load(); got > 4 {
				t.Errorf("step body ran %d times, want at most 4", got)
			}
		})
	}
}

// A transient fault on the Map's completion checkpoint ends the invocation
// for a retry; it must never fail the execution.
func TestTransientFaultOnMapCompletionIsRetried(t *testing.T) {
	for _, f := range []Fault{FaultServerError, FaultThrottle, FaultStaleToken, FaultNoToken} {
		t.Run(f.String(), func(t *testing.T) {
			res, err := NewRunner(orderFlow, WithCheckpointFaultOn(f, isMapDone)).Run(context.Background(), order{Items: []string{"a", "b", "c"}})
			if err != nil {
				t.Fatal(err)
			}
			checkOrder(t, res)
			if ops := res.Events(EventContextSucceeded); len(ops) == 0 {
				t.Errorf("no ContextSucceeded events\n%s", eventTypes(res.History))
			}
		})
	}
}

// stressRounds is how often TestEngineFaultMatrixStress repeats the matrix:
// modest, so that it stays a few seconds with -race on two cores.
const stressRounds = 3

// The fault matrix, wider than TestEngineRecoversFromFaults (every fault at
// each of the first eight calls), run several rounds at once so that
// invocations of different executions contend for the CPU, as they do
// under load: every execution still succeeds with the same result.
func TestEngineFaultMatrixStress(t *testing.T) {
	for round := range stressRounds {
		for _, f := range []Fault{FaultThrottle, FaultServerError, FaultStaleToken, FaultNoToken} {
			for n := 1; n <= 8; n++ {
				t.Run(fmt.Sprintf("%d/%s@%d", round, f, n), func(t *testing.T) {
					t.Parallel()
					res, err := NewRunner(orderFlow, WithCheckpointFault(n, f)).Run(context.Background(), order{Items: []string{"a", "b", "c"}})
					if err != nil {
						t.Fatal(err)
					}
					checkOrder(t, res)
				})
			}
		}
	}
}

// A Map that completes early leaves an item blocked on a long wait. Once
// the handler has returned, that item must not suspend the invocation: the
// execution succeeds in one invocation.
func TestAbandonedBlockedItemDoesNotSuspendAFinishedHandler(t *testing.T) {
	one := 1
	for range 20 {
		res, err := NewRunner(func(ctx durable.Context, _ int) (string, error) {
			res, err := durable.Map(ctx, "race", []int{0, 1}, func(c durable.Context, item, _ int) (int, error) {
				if item == 1 {
					return item, durable.Wait(c, "slow", time.Hour)
				}
				return item, nil
			}, durable.WithCompletion(durable.CompletionConfig{MinSuccessful: &one}))
			if err != nil {
				return "", err
			}
			return string(res.CompletionReason), nil
		}).Run(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusSucceeded || res.Value != string(durable.MinSuccessfulReached) || res.Invocations != 1 {
			t.Fatalf("status %s value %q after %d invocations; want SUCCEEDED %s after 1\n%s", res.Status, res.Value, res.Invocations, durable.MinSuccessfulReached, eventTypes(res.History))
		}
	}
}

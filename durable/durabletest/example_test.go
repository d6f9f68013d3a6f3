package durabletest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// A workflow that waits ten minutes runs in milliseconds: the runner jumps
// the virtual clock to the wait's end and invokes the function again.
func ExampleNewRunner() {
	greet := func(ctx durable.Context, name string) (string, error) {
		greeting, err := durable.Step(ctx, "compose", func(durable.StepContext) (string, error) {
			return "Hello, " + name, nil
		})
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "pause", 10*time.Minute); err != nil {
			return "", err
		}
		return greeting + "!", nil
	}

	r := durabletest.NewRunner(greet)
	res, err := r.Run(context.Background(), "Ada")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Value, res.Invocations)
	for _, ev := range res.History {
		fmt.Println(strings.TrimSpace(fmt.Sprint(ev.EventId, " ", ev.EventType, " ", ev.Name)))
	}
	// Output:
	// SUCCEEDED Hello, Ada! 2
	// 1 ExecutionStarted
	// 2 StepStarted compose
	// 3 StepSucceeded compose
	// 4 WaitStarted pause
	// 5 InvocationCompleted
	// 6 WaitSucceeded pause
	// 7 InvocationCompleted
	// 8 ExecutionSucceeded
}

// Fault injection: the first checkpoint call is throttled, and the
// invocation is abandoned after the second; the runtime recovers from both,
// as it must on AWS.
func ExampleWithCheckpointFault() {
	double := func(ctx durable.Context, n int) (int, error) {
		return durable.Step(ctx, "double", func(durable.StepContext) (int, error) { return 2 * n, nil })
	}
	r := durabletest.NewRunner(double,
		durabletest.WithCheckpointFault(1, durabletest.FaultThrottle),
		durabletest.WithCrashAfterCheckpoint(2))
	res, err := r.Run(context.Background(), 21)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Value)
	for _, ev := range res.Events(durabletest.EventInvocationCompleted) {
		if e := ev.InvocationCompletedDetails.Error; e != nil {
			fmt.Println("failed invocation:", e.Payload.ErrorType)
		}
	}
	// Output:
	// SUCCEEDED 42
	// failed invocation: CheckpointError
	// failed invocation: Runtime.ExitError
}

// NewRawRunner drives any raw durable function; here one written by hand
// against the wire protocol.
func ExampleNewRawRunner() {
	r := durabletest.NewRawRunner(func(client durable.ExecutionClient) durable.RawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			var in wire.InvocationInput
			if err := json.Unmarshal(payload, &in); err != nil {
				return nil, err
			}
			input := in.InitialExecutionState.Operations[0].ExecutionDetails.InputPayload
			return json.Marshal(wire.InvocationOutput{Status: wire.InvocationSucceeded, Result: input})
		}
	})
	res, _ := r.Run(context.Background(), json.RawMessage(`{"echo":true}`))
	fmt.Println(res.Status, string(res.Value))
	// Output: SUCCEEDED {"echo":true}
}

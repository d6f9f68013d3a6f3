package durable_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// refusingClient fails every call: a pure replay must not need the service.
type refusingClient struct{ calls int }

func (c *refusingClient) Checkpoint(context.Context, wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	c.calls++
	return wire.CheckpointResponse{}, errors.New("replay made a checkpoint call")
}

func (c *refusingClient) GetExecutionState(context.Context, wire.StateRequest) (wire.ExecutionState, error) {
	c.calls++
	return wire.ExecutionState{}, errors.New("replay made a state call")
}

// completedStepsPayload is the invocation payload of an execution whose n
// steps all succeeded, each recording its index.
func completedStepsPayload(tb testing.TB, n int) []byte {
	tb.Helper()
	now := wire.At(time.Unix(1_700_000_000, 0))
	ops := []wire.Operation{{Id: "exec", Type: wire.TypeExecution, Status: wire.StatusStarted, StartTimestamp: now, ExecutionDetails: &wire.ExecutionDetails{InputPayload: strconv.Itoa(n)}}}
	for i := 1; i <= n; i++ {
		ops = append(ops, wire.Operation{
			Id: durable.OperationID(strconv.Itoa(i)), Name: "step", Type: wire.TypeStep, SubType: wire.SubTypeStep,
			Status: wire.StatusSucceeded, StartTimestamp: now, EndTimestamp: now,
			StepDetails: &wire.StepDetails{Result: strconv.Itoa(i - 1)},
		})
	}
	payload, err := json.Marshal(wire.InvocationInput{
		DurableExecutionArn:   "arn:aws:lambda:us-east-1:123456789012:function:bench:1/durable-execution/bench/exec",
		CheckpointToken:       "dG9rZW4=",
		InitialExecutionState: wire.ExecutionState{Operations: ops},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

func countSteps(ctx durable.Context, n int) (int, error) {
	sum := 0
	for i := 0; i < n; i++ {
		v, err := durable.Step(ctx, "step", func(durable.StepContext) (int, error) { return i, nil })
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

func TestReplayOfCompletedStepsNeedsNoServiceCall(t *testing.T) {
	client := &refusingClient{}
	h := durable.Wrap(countSteps, durable.WithExecutionClient(client), durable.WithLogHandler(slog.NewJSONHandler(io.Discard, nil)))
	out, err := h(context.Background(), completedStepsPayload(t, 1000))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"Status":"SUCCEEDED","Result":"%d"}`, 999*1000/2)
	if string(out) != want || client.calls != 0 {
		t.Fatalf("got %s with %d service calls, want %s with none", out, client.calls, want)
	}
}

// BenchmarkReplay1000CompletedSteps measures one invocation that decodes a
// payload of 1,000 completed steps and replays them all.
func BenchmarkReplay1000CompletedSteps(b *testing.B) {
	payload := completedStepsPayload(b, 1000)
	h := durable.Wrap(countSteps, durable.WithExecutionClient(&refusingClient{}), durable.WithLogHandler(slog.NewJSONHandler(io.Discard, nil)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

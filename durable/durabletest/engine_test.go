package durabletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// These tests run workflows through package durable's engine.

type order struct {
	Items []string `json:"items"`
}

type receipt struct {
	Count   int      `json:"count"`
	Labels  []string `json:"labels"`
	Polls   int      `json:"polls"`
	Summary string   `json:"summary"`
}

var errFlaky = errors.New("flaky")

func orderFlow(ctx durable.Context, in order) (receipt, error) {
	labels, err := durable.Map(ctx, "label", in.Items, func(ctx durable.Context, item string, i int) (string, error) {
		return durable.Step(ctx, "upper", func(durable.StepContext) (string, error) {
			return strings.ToUpper(item), nil
		})
	}, durable.WithMaxConcurrency(2))
	if err != nil {
		return receipt{}, err
	}
	flaky, err := durable.Step(ctx, "flaky", func(sc durable.StepContext) (string, error) {
		if sc.Attempt() < 3 {
			return "", errFlaky
		}
		return "steady", nil
	}, durable.WithRetry(durable.RetryPolicy{MaxAttempts: 5, InitialDelay: time.Second, Jitter: durable.JitterNone}.Strategy()))
	if err != nil {
		return receipt{}, err
	}
	if err := durable.Wait(ctx, "cool-off", 10*time.Minute); err != nil {
		return receipt{}, err
	}
	polls, err := durable.WaitForCondition(ctx, "poll", func(sc durable.StepContext, n int) (int, error) {
		return n + 1, nil
	}, durable.ConditionConfig[int]{WaitStrategy: func(n int, attempt int) (durable.WaitDecision, error) {
		if n >= 3 {
			return durable.WaitDecision{}, nil
		}
		return durable.WaitDecision{Continue: true, Delay: 30 * time.Second}, nil
	}})
	if err != nil {
		return receipt{}, err
	}
	summary, err := durable.RunInChildContext(ctx, "summarize", func(ctx durable.Context) (string, error) {
		return durable.Step(ctx, "join", func(durable.StepContext) (string, error) {
			return flaky + ":" + strings.Join(labels.Results(), ","), nil
		})
	})
	if err != nil {
		return receipt{}, err
	}
	ctx.Logger().Info("done", "summary", summary)
	return receipt{Count: len(labels.Results()), Labels: labels.Results(), Polls: polls, Summary: summary}, nil
}

func checkOrder(t *testing.T, res *Result[receipt]) {
	t.Helper()
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s error %+v\n%s\n%s", res.Status, res.Error, res.Tree(), eventTypes(res.History))
	}
	want := receipt{Count: 3, Labels: []string{"A", "B", "C"}, Polls: 3, Summary: "steady:A,B,C"}
	if fmt.Sprint(res.Value) != fmt.Sprint(want) {
		t.Errorf("value %+v, want %+v", res.Value, want)
	}
}

func TestEngineWorkflow(t *testing.T) {
	var logs bytes.Buffer
	r := NewRunner(orderFlow, WithLogOutput(&logs), WithServiceOptions(WithPageSize(3)))
	began := time.Now()
	res, err := r.Run(context.Background(), order{Items: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, res)
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if strings.Count(res.Logs, `"msg":"done"`) != 1 || !strings.Contains(logs.String(), `"msg":"done"`) {
		t.Errorf("logs:\n%s", res.Logs)
	}
	if op, ok := res.Operation("label"); !ok || op.SubType != wire.SubTypeMap || len(res.Children(op.Id)) != 3 {
		t.Errorf("map op %+v\n%s", op, res.Tree())
	}
	if op, _ := res.Operation("flaky"); op.StepDetails == nil || op.StepDetails.Attempt != 2 {
		t.Errorf("flaky %+v", op.StepDetails)
	}
	if h := res.History; h[len(h)-1].EventType != EventExecutionSucceeded || h[len(h)-2].EventType != EventInvocationCompleted {
		t.Errorf("history ends %s", eventTypes(h[len(h)-2:]))
	}
	for _, ev := range res.Events(EventInvocationCompleted) {
		if ev.InvocationCompletedDetails.Error != nil {
			t.Errorf("failed invocation %+v", ev.InvocationCompletedDetails.Error)
		}
	}
	wfc := res.Events(EventStepSucceeded)
	var condPayloads []string
	for _, ev := range wfc {
		if ev.SubType == wire.SubTypeWaitForCondition {
			condPayloads = append(condPayloads, ev.StepSucceededDetails.Result.Payload)
		}
	}
	if strings.Join(condPayloads, ",") != "1,2,3" {
		t.Errorf("wait-for-condition payloads %v", condPayloads)
	}
	t.Logf("%d invocations\n%s", res.Invocations, res.Tree())
}

func TestEngineRecoversFromFaults(t *testing.T) {
	for _, f := range []Fault{FaultThrottle, FaultServerError, FaultStaleToken, FaultNoToken} {
		for _, n := range []int{1, 3, 6} {
			t.Run(fmt.Sprintf("%s@%d", f, n), func(t *testing.T) {
				r := NewRunner(orderFlow, WithCheckpointFault(n, f))
				res, err := r.Run(context.Background(), order{Items: []string{"a", "b", "c"}})
				if err != nil {
					t.Fatal(err)
				}
				checkOrder(t, res)
			})
		}
	}
}

func TestEngineRecoversFromCrash(t *testing.T) {
	for _, n := range []int{1, 2, 5, 9} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := NewRunner(orderFlow, WithCrashAfterCheckpoint(n))
			res, err := r.Run(context.Background(), order{Items: []string{"a", "b", "c"}})
			if err != nil {
				t.Fatal(err)
			}
			checkOrder(t, res)
			crashed := 0
			for _, ev := range res.Events(EventInvocationCompleted) {
				if e := ev.InvocationCompletedDetails.Error; e != nil && e.Payload.ErrorType == "Runtime.ExitError" {
					crashed++
				}
			}
			if crashed != 1 {
				t.Errorf("%d crashed invocations", crashed)
			}
		})
	}
}

func TestEngineFailure(t *testing.T) {
	r := NewRunner(func(ctx durable.Context, in int) (int, error) {
		_, err := durable.Step(ctx, "boom", func(durable.StepContext) (int, error) {
			return 0, errors.New("kaput")
		}, durable.WithRetry(durable.NoRetry))
		return 0, err
	})
	res, err := r.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || res.Error == nil || !strings.Contains(res.Error.ErrorMessage, "kaput") {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	last := res.History[len(res.History)-1]
	if last.EventType != EventExecutionFailed || !strings.Contains(last.ExecutionFailedDetails.Error.Payload.ErrorMessage, "kaput") {
		t.Errorf("last event %+v", last)
	}
	sf := res.Events(EventStepFailed)
	if len(sf) != 1 || sf[0].StepFailedDetails.RetryDetails.CurrentAttempt != 1 || sf[0].StepFailedDetails.RetryDetails.NextAttemptDelaySeconds != nil {
		t.Errorf("StepFailed %+v", sf)
	}
}

func TestEngineLargeResult(t *testing.T) {
	// Over the inline limit (6 MiB - 50 bytes), under the checkpoint
	// payload limit (6 MiB).
	big := strings.Repeat("x", 6*1024*1024-30)
	r := NewRunner(func(ctx durable.Context, in int) (string, error) { return big, nil })
	res, err := r.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.Value != big {
		t.Fatalf("status %s, %d bytes", res.Status, len(res.Value))
	}
}

func TestEngineExecutionTimeout(t *testing.T) {
	r := NewRunner(func(ctx durable.Context, in int) (int, error) {
		return 0, durable.Wait(ctx, "long", 2*time.Hour)
	}, WithExecutionTimeout(time.Hour))
	res, err := r.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusTimedOut {
		t.Fatalf("status %s", res.Status)
	}
}

func TestEngineResultTooLarge(t *testing.T) {
	big := strings.Repeat("x", 6*1024*1024)
	r := NewRunner(func(ctx durable.Context, in int) (string, error) { return big, nil })
	res, err := r.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || !strings.Contains(res.Error.ErrorMessage, "Member must have length less than or equal to 6291456") {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
}

func TestCallbacksResolvedOnBlocked(t *testing.T) {
	// No callback primitive in package durable yet: a raw handler starts a
	// CALLBACK and waits for it.
	fn := func(client durableClient) rawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			m, err := loadMini(ctx, client, payload)
			if err != nil {
				return nil, err
			}
			op, ok := m.ops["cb"]
			if !ok {
				if err := m.checkpoint(wire.OperationUpdate{Id: "cb", Name: "approval", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart,
					CallbackOptions: &wire.CallbackOptions{TimeoutSeconds: 3600}}); err != nil {
					return nil, err
				}
				return m.finish("", errSuspend)
			}
			if op.Status == wire.StatusStarted {
				return m.finish("", errSuspend)
			}
			if op.Status == wire.StatusSucceeded {
				return m.finish(op.CallbackDetails.Result, nil)
			}
			return m.finish("", errors.New(string(op.Status)))
		}
	}
	calls := 0
	r := NewRawRunner(fn, WithOnBlocked(func(ctx context.Context, s *Service, arn string) error {
		calls++
		cbs, err := s.OpenCallbacks(arn)
		if err != nil || len(cbs) != 1 {
			return fmt.Errorf("open callbacks %v %v", cbs, err)
		}
		return s.SendCallbackSuccess(cbs[0].CallbackDetails.CallbackId, `"approved"`)
	}))
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.RawResult != `"approved"` || calls != 1 || res.Invocations != 2 {
		t.Fatalf("status %s result %s calls %d invocations %d\n%s", res.Status, res.RawResult, calls, res.Invocations, eventTypes(res.History))
	}
	if got := eventTypes(res.History); got != "ExecutionStarted CallbackStarted InvocationCompleted CallbackSucceeded InvocationCompleted ExecutionSucceeded" {
		t.Errorf("history %s", got)
	}

	// Without a hook the callback times out after an hour of virtual time.
	res, err = NewRawRunner(fn).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || len(res.Events(EventCallbackTimedOut)) != 1 {
		t.Fatalf("status %s\n%s", res.Status, eventTypes(res.History))
	}
}

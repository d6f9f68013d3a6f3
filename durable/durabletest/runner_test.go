package durabletest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

func eventTypes(h []Event) string {
	var s []string
	for _, ev := range h {
		s = append(s, string(ev.EventType))
	}
	return strings.Join(s, " ")
}

func TestRawRunnerFlow(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	r := NewRawRunner(miniFlow(3, 600), WithServiceOptions(WithStartTime(start)))
	began := time.Now()
	res, err := r.Run(context.Background(), json.RawMessage(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(began) > 2*time.Second {
		t.Errorf("a 10-minute workflow took %v", time.Since(began))
	}
	if res.Status != StatusSucceeded || string(res.Value) != "6" || res.RawResult != "6" {
		t.Fatalf("status %s value %s error %+v\n%s", res.Status, res.Value, res.Error, res.Tree())
	}
	if res.Invocations != 4 {
		t.Errorf("invocations = %d, want 4\n%s", res.Invocations, eventTypes(res.History))
	}
	want := "ExecutionStarted StepStarted StepSucceeded StepStarted StepSucceeded StepStarted StepSucceeded WaitStarted InvocationCompleted " +
		"WaitSucceeded StepStarted StepFailed InvocationCompleted StepStarted StepFailed InvocationCompleted StepStarted StepSucceeded InvocationCompleted ExecutionSucceeded"
	if got := eventTypes(res.History); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	for i, ev := range res.History {
		if ev.EventId != i+1 {
			t.Errorf("event %d has EventId %d", i, ev.EventId)
		}
	}
	// Retry details: attempts 1 and 2 failed with a delay, 3 succeeded.
	var attempts []int
	for _, ev := range res.Events(EventStepFailed, EventStepSucceeded) {
		if ev.Id != "flaky" {
			continue
		}
		if d := ev.StepFailedDetails; d != nil {
			attempts = append(attempts, d.RetryDetails.CurrentAttempt)
			if d.RetryDetails.NextAttemptDelaySeconds == nil || *d.RetryDetails.NextAttemptDelaySeconds != 1 {
				t.Errorf("StepFailed without NextAttemptDelaySeconds 1: %+v", d.RetryDetails)
			}
		} else {
			attempts = append(attempts, ev.StepSucceededDetails.RetryDetails.CurrentAttempt)
		}
	}
	if len(attempts) != 3 || attempts[0] != 1 || attempts[1] != 2 || attempts[2] != 3 {
		t.Errorf("flaky attempts = %v, want [1 2 3]", attempts)
	}
	// Virtual time: the wait took 600 s, each retry 1 s.
	wait, _ := res.OperationByID("w")
	if d := wait.EndTimestamp.Sub(wait.StartTimestamp.Time); d < 600*time.Second || d > 601*time.Second {
		t.Errorf("wait lasted %v of virtual time", d)
	}
	last := res.History[len(res.History)-1]
	if last.EventTimestamp.Sub(start) < 602*time.Second || last.EventTimestamp.Sub(start) > 610*time.Second {
		t.Errorf("execution ended at %v, %v after its start", last.EventTimestamp, last.EventTimestamp.Sub(start))
	}
	if res.History[0].ExecutionStartedDetails.Input.Payload != `{"x":1}` {
		t.Errorf("ExecutionStarted input = %+v", res.History[0].ExecutionStartedDetails)
	}
	ws := res.Events(EventWaitStarted)[0].WaitStartedDetails
	if ws.Duration != 600 {
		t.Errorf("WaitStarted duration %d", ws.Duration)
	}
	if got := res.OperationsByType(wire.TypeStep); len(got) != 4 {
		t.Errorf("%d steps", len(got))
	}
	if !strings.Contains(res.Tree(), "flaky  STEP/Step  SUCCEEDED  attempt=3  id=flaky") {
		t.Errorf("tree:\n%s", res.Tree())
	}
}

func TestRawRunnerPagination(t *testing.T) {
	r := NewRawRunner(miniFlow(11, 5), WithServiceOptions(WithPageSize(2), WithInitialPageSize(0)))
	res, err := r.Run(context.Background(), json.RawMessage(`null`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.RawResult != "66" {
		t.Fatalf("status %s result %s error %+v", res.Status, res.RawResult, res.Error)
	}
}

func TestEventJSON(t *testing.T) {
	delay := 3
	ev := Event{EventType: EventStepFailed, EventId: 3, EventTimestamp: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC), Id: "a", SubType: "Step",
		StepFailedDetails: &StepFailedDetails{Error: &EventError{Payload: wire.ErrorObject{ErrorType: "E", ErrorMessage: "m"}}, RetryDetails: &RetryDetails{CurrentAttempt: 1, NextAttemptDelaySeconds: &delay}}}
	b, _ := json.Marshal(ev)
	want := `{"EventType":"StepFailed","EventId":3,"EventTimestamp":"2025-01-02T03:04:05.006Z","Id":"a","SubType":"Step","StepFailedDetails":{"Error":{"Payload":{"ErrorType":"E","ErrorMessage":"m"},"Truncated":false},"RetryDetails":{"CurrentAttempt":1,"NextAttemptDelaySeconds":3}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(Event{EventType: EventStepStarted, StepStartedDetails: &EmptyDetails{}, EventTimestamp: time.Unix(0, 0).UTC()})
	if !strings.Contains(string(b), `"StepStartedDetails":{}`) {
		t.Errorf("got %s", b)
	}
}

func TestFaultsRecover(t *testing.T) {
	for _, f := range []Fault{FaultThrottle, FaultServerError, FaultStaleToken, FaultNoToken} {
		for _, n := range []int{1, 2, 4} {
			t.Run(f.String()+"@"+string(rune('0'+n)), func(t *testing.T) {
				r := NewRawRunner(miniFlow(3, 60), WithCheckpointFault(n, f))
				res, err := r.Run(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != StatusSucceeded || res.RawResult != "6" {
					t.Fatalf("status %s %+v\n%s", res.Status, res.Error, eventTypes(res.History))
				}
				if f == FaultNoToken && n == 4 {
					return // the wait's START: suspending was the plan anyway
				}
				if res.Invocations < 5 {
					t.Errorf("%d invocations: the fault did not cost one", res.Invocations)
				}
				ic := res.Events(EventInvocationCompleted)
				failed := 0
				for _, ev := range ic {
					if ev.InvocationCompletedDetails.Error != nil {
						failed++
					}
				}
				if failed == 0 {
					t.Errorf("no failed invocation recorded: %s", eventTypes(res.History))
				}
			})
		}
	}
}

func TestCrashAfterCheckpoint(t *testing.T) {
	r := NewRawRunner(miniFlow(3, 60), WithCrashAfterCheckpoint(2))
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.RawResult != "6" || res.Invocations != 5 {
		t.Fatalf("status %s invocations %d\n%s", res.Status, res.Invocations, eventTypes(res.History))
	}
	ic := res.Events(EventInvocationCompleted)[0].InvocationCompletedDetails
	if ic.Error == nil || ic.Error.Payload.ErrorType != "Runtime.ExitError" {
		t.Errorf("first invocation: %+v", ic)
	}
	// The crashed invocation's later calls failed as stale: step 3 was
	// recorded once.
	if n := len(res.Events(EventStepStarted)); n != 3+3 {
		t.Errorf("%d StepStarted events\n%s", n, eventTypes(res.History))
	}
}

func TestExecutionTimeout(t *testing.T) {
	r := NewRawRunner(miniFlow(1, 3600), WithExecutionTimeout(10*time.Minute))
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusTimedOut || res.Error == nil {
		t.Fatalf("status %s\n%s", res.Status, eventTypes(res.History))
	}
	last := res.History[len(res.History)-1]
	if last.EventType != EventExecutionTimedOut || last.EventTimestamp.Sub(res.History[0].EventTimestamp) != 10*time.Minute {
		t.Errorf("last event %+v", last)
	}
}

func TestPendingWithNothingPending(t *testing.T) {
	r := NewRawRunner(func(c durableClient) rawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			return []byte(`{"Status":"PENDING"}`), nil
		}
	})
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || res.Invocations != 4 || res.Error.ErrorMessage != "Cannot return PENDING status with no pending operations." {
		t.Fatalf("status %s invocations %d error %+v", res.Status, res.Invocations, res.Error)
	}
	for _, ev := range res.Events(EventInvocationCompleted) {
		if e := ev.InvocationCompletedDetails.Error; e == nil || e.Payload.ErrorType != "InvalidParameterValueException" {
			t.Errorf("InvocationCompleted %+v", ev.InvocationCompletedDetails)
		}
	}
}

func TestInvocationCap(t *testing.T) {
	r := NewRawRunner(func(c durableClient) rawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			return nil, context.DeadlineExceeded
		}
	}, WithMaxInvocations(7))
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRunning || !res.CapReached || res.Invocations != 7 {
		t.Fatalf("status %s cap %v invocations %d", res.Status, res.CapReached, res.Invocations)
	}
	if e := res.Events(EventInvocationCompleted)[0].InvocationCompletedDetails.Error; e == nil || e.Payload.ErrorType != "deadlineExceededError" {
		t.Errorf("error %+v", e)
	}
}

func TestFunctionTimeout(t *testing.T) {
	calls := 0
	r := NewRawRunner(func(c durableClient) rawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			calls++
			if calls == 1 {
				if _, ok := ctx.Deadline(); !ok {
					t.Error("no invocation deadline")
				}
				<-ctx.Done() // a handler stuck until Lambda kills it
				return nil, ctx.Err()
			}
			return []byte(`{"Status":"SUCCEEDED","Result":"1"}`), nil
		}
	}, WithFunctionTimeout(50*time.Millisecond))
	res, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.Invocations != 2 {
		t.Fatalf("status %s invocations %d", res.Status, res.Invocations)
	}
	if e := res.Events(EventInvocationCompleted)[0].InvocationCompletedDetails.Error; e == nil || e.Payload.ErrorType != "Sandbox.Timedout" {
		t.Errorf("first invocation error %+v", e)
	}
}

package durabletest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

func TestAdvanceClockFiresTimersInOrderAndOnlyBetweenInvocations(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, WithStartTime(start))
	h.mustCP(
		wire.OperationUpdate{Id: "cb", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart,
			CallbackOptions: &wire.CallbackOptions{TimeoutSeconds: 30}},
		up("w", wire.TypeWait, wire.ActionStart), // 10 s
	)
	if err := h.svc.AdvanceClock(h.arn, start.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "invocation is in progress") {
		t.Fatalf("AdvanceClock during an invocation: %v; want a refusal", err)
	}
	if _, err := h.svc.CompleteInvocation(h.arn, []byte(`{"Status":"PENDING"}`), nil); err != nil {
		t.Fatal(err)
	}
	due, ok, err := h.svc.NextTimer(h.arn)
	if err != nil || !ok || due.Sub(start) < 10*time.Second || due.Sub(start) > 11*time.Second {
		t.Fatalf("NextTimer = %v, %v, %v; want the wait, about 10 s after the start", due, ok, err)
	}
	// To 20 s: the wait fires at its own due time, the callback is still open.
	if err := h.svc.AdvanceClock(h.arn, start.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	now, _ := h.svc.Now(h.arn)
	if !now.Equal(start.Add(20 * time.Second)) {
		t.Errorf("clock at %v; want %v", now, start.Add(20*time.Second))
	}
	ops, _ := h.svc.Operations(h.arn)
	status := map[string]wire.OperationStatus{}
	for _, op := range ops {
		status[op.Id] = op.Status
	}
	if status["w"] != wire.StatusSucceeded || status["cb"] != wire.StatusStarted {
		t.Errorf("statuses %v; want the wait SUCCEEDED and the callback STARTED", status)
	}
	// Past 30 s the callback times out; moving back changes nothing.
	if err := h.svc.AdvanceClock(h.arn, start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AdvanceClock(h.arn, start); err != nil {
		t.Fatal(err)
	}
	hist, _ := h.svc.History(h.arn)
	var fired []string
	for _, ev := range hist {
		if ev.EventType == EventWaitSucceeded || ev.EventType == EventCallbackTimedOut {
			fired = append(fired, string(ev.EventType)+"@"+ev.EventTimestamp.Sub(start).Truncate(time.Second).String())
		}
	}
	if strings.Join(fired, " ") != "WaitSucceeded@10s CallbackTimedOut@30s" {
		t.Errorf("timers fired %v; want the wait at 10s then the callback timeout at 30s", fired)
	}
	if _, ok, _ := h.svc.NextTimer(h.arn); ok {
		t.Error("NextTimer reports a timer after every timer fired")
	}
}

func TestCallbackAPIsCheckTheirInputsAsLambdaDoes(t *testing.T) {
	h := newHarness(t)
	resp := h.mustCP(wire.OperationUpdate{Id: "cb", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart})
	var id string
	for _, op := range resp.NewExecutionState.Operations {
		if op.Id == "cb" {
			id = op.CallbackDetails.CallbackId
		}
	}
	if id == "" {
		t.Fatal("the START response carries no CallbackId")
	}
	for _, tc := range []struct {
		name, id, result, wantCode string
	}{
		{"result over 256 KB", id, strings.Repeat("x", 262145), "InvalidParameterValueException"},
		{"id outside the pattern", "not an id!", `"ok"`, "InvalidParameterValueException"},
		{"unknown id", "AAAA", `"ok"`, "ResourceNotFoundException"},
	} {
		err := h.svc.SendCallbackSuccess(tc.id, tc.result)
		var apiErr *wire.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != tc.wantCode {
			t.Errorf("%s: error %v; want %s", tc.name, err, tc.wantCode)
		}
	}
	if err := h.svc.SendCallbackSuccess(id, strings.Repeat("x", 262144)); err != nil {
		t.Fatalf("a 262,144-byte result: %v; want it accepted", err)
	}
	var apiErr *wire.APIError
	if err := h.svc.SendCallbackSuccess(id, `"again"`); !errors.As(err, &apiErr) || apiErr.Code != "CallbackTimeoutException" {
		t.Errorf("completing a closed callback: %v; want CallbackTimeoutException", err)
	}
}

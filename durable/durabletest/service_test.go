package durabletest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

type svcHarness struct {
	t     *testing.T
	svc   *Service
	arn   string
	token string
}

func newHarness(t *testing.T, opts ...ServiceOption) *svcHarness {
	svc := NewService(opts...)
	arn := svc.StartExecution("", `{"a":1}`)
	in, err := svc.StartInvocation(arn)
	if err != nil {
		t.Fatal(err)
	}
	return &svcHarness{t: t, svc: svc, arn: arn, token: in.CheckpointToken}
}

func (h *svcHarness) cp(updates ...wire.OperationUpdate) (wire.CheckpointResponse, error) {
	resp, err := h.svc.Checkpoint(context.Background(), wire.CheckpointRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token, Updates: updates})
	if err == nil && resp.CheckpointToken != "" {
		h.token = resp.CheckpointToken
	}
	return resp, err
}

func (h *svcHarness) mustCP(updates ...wire.OperationUpdate) wire.CheckpointResponse {
	h.t.Helper()
	resp, err := h.cp(updates...)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

func up(id string, typ wire.OperationType, action wire.OperationAction, mods ...func(*wire.OperationUpdate)) wire.OperationUpdate {
	u := wire.OperationUpdate{Id: id, Type: typ, Action: action}
	switch typ {
	case wire.TypeStep:
		u.SubType = wire.SubTypeStep
	case wire.TypeWait:
		u.SubType = wire.SubTypeWait
		if action == wire.ActionStart {
			u.WaitOptions = &wire.WaitOptions{WaitSeconds: 10}
		}
	case wire.TypeContext:
		u.SubType = wire.SubTypeRunInChildContext
	}
	for _, m := range mods {
		m(&u)
	}
	return u
}

func withParent(p string) func(*wire.OperationUpdate) {
	return func(u *wire.OperationUpdate) { u.ParentId = p }
}

func TestCheckpointValidation(t *testing.T) {
	big := strings.Repeat("x", 262145)
	cases := []struct {
		name   string
		setup  []wire.OperationUpdate
		batch  []wire.OperationUpdate
		code   string
		prefix string
	}{
		{name: "bad id", batch: []wire.OperationUpdate{up("a b", wire.TypeStep, wire.ActionStart)}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{name: "long id", batch: []wire.OperationUpdate{up(strings.Repeat("a", 65), wire.TypeStep, wire.ActionStart)}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.id' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{name: "name not printable", batch: []wire.OperationUpdate{up("a", wire.TypeStep, wire.ActionStart, func(u *wire.OperationUpdate) { u.Name = "tab\there" })}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.name'"},
		{name: "name too long", batch: []wire.OperationUpdate{up("a", wire.TypeStep, wire.ActionStart, func(u *wire.OperationUpdate) { u.Name = strings.Repeat("n", 257) })}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{name: "zero wait", batch: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart, func(u *wire.OperationUpdate) { u.WaitOptions.WaitSeconds = 0 })}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.waitOptions.waitSeconds' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{name: "execution payload too large", batch: []wire.OperationUpdate{up("x", wire.TypeExecution, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.Payload = strings.Repeat("x", 6291457) })}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.1.member.payload' failed to satisfy constraint: Member must have length less than or equal to 6291456"},
		{name: "validation before payload size", batch: []wire.OperationUpdate{
			up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.Payload = big }),
			up("w", wire.TypeWait, wire.ActionStart, func(u *wire.OperationUpdate) { u.WaitOptions.WaitSeconds = 0 })}, code: "ValidationException", prefix: "1 validation error detected: Value at 'updates.3.member.waitOptions.waitSeconds'"},
		{name: "step payload too large", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.Payload = big })}, code: "InvalidParameterValueException", prefix: "STEP output payload size must be less than or equal to 262144 bytes."},
		{name: "retry payload too large", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionRetry, func(u *wire.OperationUpdate) {
			u.Payload = big
			u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: 1}
		})}, code: "InvalidParameterValueException", prefix: "STEP output payload size must be less than or equal to 262144 bytes."},
		{name: "error too large", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionFail, func(u *wire.OperationUpdate) { u.Error = &wire.ErrorObject{ErrorMessage: big} })}, code: "InvalidParameterValueException", prefix: "Error object size must be less than or equal to 262144 bytes."},
		{name: "invoke input too large", batch: []wire.OperationUpdate{up("i", wire.TypeChainedInvoke, wire.ActionStart, func(u *wire.OperationUpdate) {
			u.Payload = strings.Repeat("x", 1048577)
			u.ChainedInvokeOptions = &wire.ChainedInvokeOptions{FunctionName: "f"}
		})}, code: "InvalidParameterValueException", prefix: "CHAINED_INVOKE input payload size must be less than or equal to 1048576 bytes."},
		{name: "action not valid for type", batch: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionSucceed)}, code: "InvalidParameterValueException", prefix: "Invalid action SUCCEED for operation type WAIT"},
		{name: "execution start", batch: []wire.OperationUpdate{up("x", wire.TypeExecution, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Invalid action START"},
		{name: "succeed absent step", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "restart started step", setup: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart)}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "succeed succeeded step", setup: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionSucceed)}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "succeed pending step", setup: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionRetry, func(u *wire.OperationUpdate) { u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: 5} })}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "wait started twice", setup: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart)}, batch: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "context restarted", setup: []wire.OperationUpdate{up("c", wire.TypeContext, wire.ActionStart)}, batch: []wire.OperationUpdate{up("c", wire.TypeContext, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Invalid status transition"},
		{name: "retry without options", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionRetry)}, code: "InvalidParameterValueException", prefix: "StepOptions are required"},
		{name: "fail with payload", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionFail, func(u *wire.OperationUpdate) { u.Payload = "1" })}, code: "InvalidParameterValueException", prefix: "A FAIL update must not carry a Payload."},
		{name: "succeed with error", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.Error = &wire.ErrorObject{} })}, code: "InvalidParameterValueException", prefix: "A SUCCEED update must not carry an Error."},
		{name: "duplicate id", batch: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart), up("w", wire.TypeWait, wire.ActionCancel)}, code: "InvalidParameterValueException", prefix: "Cannot checkpoint multiple operations with the same ID."},
		{name: "step start twice in batch", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Cannot checkpoint multiple operations with the same ID."},
		{name: "step three updates", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionRetry, func(u *wire.OperationUpdate) { u.StepOptions = &wire.StepOptions{} }), up("s", wire.TypeStep, wire.ActionFail)}, code: "InvalidParameterValueException", prefix: "Cannot checkpoint multiple operations with the same ID."},
		{name: "unknown parent", batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart, withParent("nope"))}, code: "InvalidParameterValueException", prefix: "Invalid parent operation id."},
		{name: "parent not a context", setup: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart)}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart, withParent("w"))}, code: "InvalidParameterValueException", prefix: "Invalid parent operation id."},
		{name: "inconsistent type", setup: []wire.OperationUpdate{up("w", wire.TypeWait, wire.ActionStart)}, batch: []wire.OperationUpdate{up("w", wire.TypeStep, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "Inconsistent operation type"},
		{name: "inconsistent subtype", setup: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart)}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.SubType = wire.SubTypeWaitForCondition })}, code: "InvalidParameterValueException", prefix: "Inconsistent operation subtype"},
		{name: "inconsistent name", setup: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionStart, func(u *wire.OperationUpdate) { u.Name = "a" })}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.Name = "b" })}, code: "InvalidParameterValueException", prefix: "Inconsistent operation name"},
		{name: "inconsistent parent", setup: []wire.OperationUpdate{up("c", wire.TypeContext, wire.ActionStart), up("s", wire.TypeStep, wire.ActionStart)}, batch: []wire.OperationUpdate{up("s", wire.TypeStep, wire.ActionSucceed, withParent("c"))}, code: "InvalidParameterValueException", prefix: "Inconsistent parent operation id"},
		{name: "execution not last", batch: []wire.OperationUpdate{up("x", wire.TypeExecution, wire.ActionSucceed), up("s", wire.TypeStep, wire.ActionStart)}, code: "InvalidParameterValueException", prefix: "EXECUTION checkpoint must be the last update."},
		{name: "two executions", batch: []wire.OperationUpdate{up("x", wire.TypeExecution, wire.ActionSucceed), up("y", wire.TypeExecution, wire.ActionFail)}, code: "InvalidParameterValueException", prefix: "Cannot checkpoint multiple EXECUTION updates."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if len(c.setup) > 0 {
				h.mustCP(c.setup...)
			}
			before, _ := h.svc.Operations(h.arn)
			hist, _ := h.svc.History(h.arn)
			_, err := h.cp(c.batch...)
			var api *wire.APIError
			if !errors.As(err, &api) {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
			if api.Code != c.code || !strings.HasPrefix(api.Message, c.prefix) || api.StatusCode != 400 {
				t.Errorf("got %s %d %q\nwant %s %q", api.Code, api.StatusCode, api.Message, c.code, c.prefix)
			}
			// All or nothing: nothing changed, and the token still works.
			after, _ := h.svc.Operations(h.arn)
			hist2, _ := h.svc.History(h.arn)
			if len(after) != len(before) || len(hist2) != len(hist) {
				t.Errorf("a rejected batch changed the state: %d -> %d ops, %d -> %d events", len(before), len(after), len(hist), len(hist2))
			}
			if _, err := h.cp(); err != nil {
				t.Errorf("token unusable after a rejected call: %v", err)
			}
		})
	}
}

func TestCheckpointAccepts(t *testing.T) {
	h := newHarness(t)
	// START + completion in one batch, child under a context started in the
	// same batch, a wait-for-condition RETRY with a payload.
	resp := h.mustCP(
		up("c", wire.TypeContext, wire.ActionStart),
		up("s", wire.TypeStep, wire.ActionStart, withParent("c")),
		up("s", wire.TypeStep, wire.ActionSucceed, withParent("c"), func(u *wire.OperationUpdate) { u.Payload = `"v"` }),
		up("q", wire.TypeStep, wire.ActionStart, func(u *wire.OperationUpdate) { u.SubType = wire.SubTypeWaitForCondition }),
		up("q", wire.TypeStep, wire.ActionRetry, func(u *wire.OperationUpdate) {
			u.SubType = wire.SubTypeWaitForCondition
			u.Payload = `{"n":1}`
			u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: 30}
		}),
		// Omitted SubType/Name/ParentId do not count as inconsistent.
		wire.OperationUpdate{Id: "c", Type: wire.TypeContext, Action: wire.ActionSucceed, Payload: "r"},
	)
	if n := len(resp.NewExecutionState.Operations); n != 3 {
		t.Fatalf("%d operations in the response", n)
	}
	q := resp.NewExecutionState.Operations[2]
	if q.Id != "q" || q.Status != wire.StatusPending || q.StepDetails.Attempt != 1 || q.StepDetails.Result != `{"n":1}` ||
		q.StepDetails.NextAttemptTimestamp.Sub(q.StartTimestamp.Time) < 30*time.Second {
		t.Errorf("q = %+v %+v", q, q.StepDetails)
	}
	hist, _ := h.svc.History(h.arn)
	last := hist[len(hist)-1]
	if last.EventType != EventContextSucceeded || hist[len(hist)-2].StepSucceededDetails.RetryDetails.NextAttemptDelaySeconds == nil {
		t.Errorf("history %s", eventTypes(hist))
	}

	// Tokens rotate; a consumed token is stale.
	old := h.token
	h.mustCP()
	_, err := h.svc.Checkpoint(context.Background(), wire.CheckpointRequest{DurableExecutionArn: h.arn, CheckpointToken: old})
	var api *wire.APIError
	if !errors.As(err, &api) || api.Code != "InvalidParameterValueException" || !strings.HasPrefix(api.Message, "Invalid checkpoint token") {
		t.Errorf("stale token: %v", err)
	}
	// The completed context's child is left out of state pages.
	st, err := h.svc.GetExecutionState(context.Background(), wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, op := range st.Operations {
		ids = append(ids, op.Id)
	}
	if len(ids) != 3 || ids[1] != "c" || ids[2] != "q" {
		t.Errorf("state ids %v", ids)
	}
}

func TestReplayChildrenKeepsChildren(t *testing.T) {
	h := newHarness(t)
	h.mustCP(
		up("c", wire.TypeContext, wire.ActionStart),
		up("s", wire.TypeStep, wire.ActionStart, withParent("c")),
		up("s", wire.TypeStep, wire.ActionSucceed, withParent("c")),
		up("c", wire.TypeContext, wire.ActionSucceed, func(u *wire.OperationUpdate) { u.ContextOptions = &wire.ContextOptions{ReplayChildren: true} }),
		up("d", wire.TypeContext, wire.ActionStart),
		up("d2", wire.TypeContext, wire.ActionStart, withParent("d")),
		up("t", wire.TypeStep, wire.ActionStart, withParent("d2")),
		up("d", wire.TypeContext, wire.ActionFail),
	)
	h.svc.CompleteInvocation(h.arn, nil, &wire.ErrorObject{ErrorType: "Runtime.ExitError"})
	// The next invocation's payload.
	in, err := h.svc.StartInvocation(h.arn)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, op := range in.InitialExecutionState.Operations {
		ids = append(ids, op.Id)
	}
	if strings.Join(ids[1:], ",") != "c,s,d" {
		t.Errorf("ids %v: want the ReplayChildren context's child, not the failed context's descendants", ids)
	}
}

func TestStatePagination(t *testing.T) {
	h := newHarness(t, WithPageSize(4))
	var batch []wire.OperationUpdate
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		batch = append(batch, up(id, wire.TypeWait, wire.ActionStart))
	}
	resp := h.mustCP(batch...)
	if len(resp.NewExecutionState.Operations) != 4 || resp.NewExecutionState.NextMarker == "" {
		t.Fatalf("checkpoint page %d ops marker %q", len(resp.NewExecutionState.Operations), resp.NewExecutionState.NextMarker)
	}
	ctx := context.Background()
	got := len(resp.NewExecutionState.Operations)
	for m := resp.NewExecutionState.NextMarker; m != ""; {
		st, err := h.svc.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token, Marker: m, MaxItems: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got += len(st.Operations)
		m = st.NextMarker
	}
	if got != 9 {
		t.Errorf("%d operations over the pages", got)
	}
	// MaxItems below the page size wins; bad markers and MaxItems fail.
	st, err := h.svc.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token, MaxItems: 2})
	if err != nil || len(st.Operations) != 2 || st.NextMarker == "" {
		t.Errorf("MaxItems 2: %d ops, %v", len(st.Operations), err)
	}
	if _, err := h.svc.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token, Marker: "bogus"}); err == nil {
		t.Error("bogus marker accepted")
	}
	if _, err := h.svc.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: h.token, MaxItems: 1001}); err == nil {
		t.Error("MaxItems 1001 accepted")
	}
	if _, err := h.svc.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: h.arn, CheckpointToken: "c3RhbGU="}); err == nil {
		t.Error("stale token accepted by GetExecutionState")
	}
}

// A timer that comes due while the invocation runs is delivered by the next
// checkpoint (a poll), with virtual time following real time.
func TestTimerDueDuringInvocation(t *testing.T) {
	h := newHarness(t)
	h.mustCP(up("w", wire.TypeWait, wire.ActionStart, func(u *wire.OperationUpdate) { u.WaitOptions.WaitSeconds = 1 }))
	resp := h.mustCP()
	if len(resp.NewExecutionState.Operations) != 0 {
		t.Fatalf("wait reported before it was due: %+v", resp.NewExecutionState.Operations)
	}
	time.Sleep(1100 * time.Millisecond)
	resp = h.mustCP()
	ops := resp.NewExecutionState.Operations
	if len(ops) != 1 || ops[0].Id != "w" || ops[0].Status != wire.StatusSucceeded {
		t.Fatalf("poll after the wait: %+v", ops)
	}
	// Reported once.
	if resp = h.mustCP(); len(resp.NewExecutionState.Operations) != 0 {
		t.Errorf("reported again: %+v", resp.NewExecutionState.Operations)
	}
	hist, _ := h.svc.History(h.arn)
	if hist[len(hist)-1].EventType != EventWaitSucceeded || hist[len(hist)-1].WaitSucceededDetails.Duration != 1 {
		t.Errorf("history %s", eventTypes(hist))
	}
	// Seen inline, so the next invocation does not list it as updated.
	h.svc.CompleteInvocation(h.arn, []byte(`{"Status":"SUCCEEDED","Result":"1"}`), nil)
	info, _ := h.svc.Execution(h.arn)
	if info.Status != StatusSucceeded || info.Result != "1" {
		t.Errorf("execution %+v", info)
	}
}

func TestUpdatedOperationIds(t *testing.T) {
	h := newHarness(t)
	h.mustCP(
		up("w", wire.TypeWait, wire.ActionStart),
		up("s", wire.TypeStep, wire.ActionStart),
		up("s", wire.TypeStep, wire.ActionRetry, func(u *wire.OperationUpdate) {
			u.Error = &wire.ErrorObject{ErrorMessage: "x"}
			u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: 10}
		}))
	if failed, _ := h.svc.CompleteInvocation(h.arn, []byte(`{"Status":"PENDING"}`), nil); failed {
		t.Fatal("PENDING with pending operations rejected")
	}
	if ok, _ := h.svc.Advance(h.arn); !ok {
		t.Fatal("nothing to advance to")
	}
	in, _ := h.svc.StartInvocation(h.arn)
	if strings.Join(in.UpdatedOperationIds, ",") != "w,s" {
		t.Errorf("UpdatedOperationIds %v", in.UpdatedOperationIds)
	}
	for _, op := range in.InitialExecutionState.Operations {
		if op.Id == "s" && (op.Status != wire.StatusReady || op.StepDetails.Attempt != 1) {
			t.Errorf("s %+v %+v", op, op.StepDetails)
		}
		if op.Id == "w" && op.Status != wire.StatusSucceeded {
			t.Errorf("w %+v", op)
		}
	}
	// The old invocation's token is dead, the new one works.
	h2 := &svcHarness{t: t, svc: h.svc, arn: h.arn, token: h.token}
	if _, err := h2.cp(); err == nil {
		t.Error("old invocation's token still works")
	}
	h.token = in.CheckpointToken
	h.mustCP(up("s", wire.TypeStep, wire.ActionStart), up("s", wire.TypeStep, wire.ActionSucceed))
	hist, _ := h.svc.History(h.arn)
	if d := hist[len(hist)-1].StepSucceededDetails.RetryDetails; d.CurrentAttempt != 2 {
		t.Errorf("CurrentAttempt %d", d.CurrentAttempt)
	}
}

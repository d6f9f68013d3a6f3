package durabletest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// abandon gives up on the current invocation: its token stops working and
// the runner is told to stop waiting for it.
func (e *execution) abandon(reason *wire.ErrorObject) {
	e.token = ""
	if e.inv != nil && e.inv.reason == nil {
		e.inv.reason = reason
		close(e.inv.abandoned)
	}
}

// beginInvocation starts an invocation: a fresh seed token, the first page
// of state, the ids the service changed since the last invocation, and the
// virtual clock running with real time.
func (e *execution) beginInvocation() (wire.InvocationInput, *invocation) {
	e.invocations++
	e.token = e.svc.newToken()
	e.markers = map[string]*cursor{}
	e.clearDirty()
	in := wire.InvocationInput{
		DurableExecutionArn:   e.arn,
		CheckpointToken:       e.token,
		UpdatedOperationIds:   e.unseen,
		InitialExecutionState: e.page(e.visibleOps(), e.svc.cfg.initialPageSize),
	}
	e.clearUnseen()
	inv := &invocation{requestID: e.svc.newUUID(), start: e.clock, abandoned: make(chan struct{})}
	e.inv = inv
	e.anchor = time.Now()
	e.running = true
	return in, inv
}

// endInvocation applies the invocation's outcome: its response (out), or
// the error it failed with (invErr, for an error response, a crash or a
// timeout). It records InvocationCompleted and, if the execution ended, the
// execution's terminal event.
//
// It reports whether the invocation failed (so Lambda would retry it).
func (e *execution) endInvocation(inv *invocation, out []byte, invErr *wire.ErrorObject) (failed bool) {
	now := e.now()
	e.clock = now
	e.running = false
	if e.inv == inv {
		e.inv = nil
	}
	if inv.reason != nil {
		invErr = inv.reason
	}
	if invErr == nil && e.status == StatusRunning {
		invErr = e.applyOutput(out, now)
	} else if invErr == nil {
		e.emptyPendingStreak = 0
	}
	ic := &InvocationCompletedDetails{StartTimestamp: inv.start.UTC(), EndTimestamp: now.UTC(), RequestId: inv.requestID}
	if invErr != nil {
		ic.Error = &EventError{Payload: *cloneErr(invErr)}
	}
	e.record(Event{EventType: EventInvocationCompleted, InvocationCompletedDetails: ic}, now)
	if e.terminalEvent != nil {
		e.record(*e.terminalEvent, now)
		e.terminalEvent = nil
	}
	e.token = ""
	return invErr != nil
}

const maxEmptyPendingResponses = 4

var errNoPending = &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "Cannot return PENDING status with no pending operations."}

// applyOutput applies an invocation response (§1.3); it returns the
// invocation's error if the response was rejected.
func (e *execution) applyOutput(out []byte, now time.Time) *wire.ErrorObject {
	var o wire.InvocationOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "The durable function returned an invalid response: " + err.Error()}
	}
	switch o.Status {
	case wire.InvocationSucceeded:
		e.emptyPendingStreak = 0
		if o.Error != nil {
			return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "A SUCCEEDED response must not carry an Error."}
		}
		e.finish(StatusSucceeded, o.Result, nil, now)
	case wire.InvocationFailed:
		e.emptyPendingStreak = 0
		if o.Result != "" {
			return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "A FAILED response must not carry a Result."}
		}
		e.finish(StatusFailed, "", o.Error, now)
	case wire.InvocationPending:
		if e.hasPending() {
			e.emptyPendingStreak = 0
			return nil
		}
		e.emptyPendingStreak++
		if e.emptyPendingStreak >= maxEmptyPendingResponses {
			e.finish(StatusFailed, "", errNoPending, now)
		}
		return cloneErr(errNoPending)
	default:
		return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: fmt.Sprintf("The durable function returned an invalid Status %q.", o.Status)}
	}
	return nil
}

func (e *execution) finish(st Status, result string, eo *wire.ErrorObject, now time.Time) {
	e.status = st
	e.endTime = now
	e.execOp.op.EndTimestamp = wire.At(now)
	if st == StatusSucceeded {
		e.result = result
		e.execOp.op.Status = wire.StatusSucceeded
		e.terminalEvent = &Event{EventType: EventExecutionSucceeded, Id: e.id,
			ExecutionSucceededDetails: &ResultDetails{Result: &EventPayload{Payload: result}}}
	} else {
		if eo == nil {
			eo = &wire.ErrorObject{}
		}
		e.err = cloneErr(eo)
		e.execOp.op.Status = wire.StatusFailed
		e.terminalEvent = &Event{EventType: EventExecutionFailed, Id: e.id,
			ExecutionFailedDetails: &ErrorDetails{Error: eventError(eo)}}
	}
}

// advance prepares the next invocation after one ended: it fires the timers
// already due and, if nothing is ready to run, jumps the virtual clock to
// the next timer (or to the execution timeout, which ends the execution).
// It reports false when nothing can make progress: the execution ended, or
// it waits for something outside the service (a callback, a chained
// invoke).
func (e *execution) advance(lastFailed bool) bool {
	if e.status != StatusRunning {
		return false
	}
	now := e.clock
	if !e.deadline.IsZero() && !now.Before(e.deadline) {
		e.timeOut(now)
		return false
	}
	e.fireTimers(now)
	if lastFailed || len(e.unseen) > 0 || e.hasReady() {
		return true
	}
	next, ok := e.nextTimer()
	if !ok {
		return false
	}
	if !e.deadline.IsZero() && next.After(e.deadline) {
		e.clock = e.deadline
		e.timeOut(e.deadline)
		return false
	}
	if next.After(e.clock) {
		e.clock = next
	}
	e.fireTimers(e.clock)
	return true
}

package durabletest

import (
	"fmt"
	"slices"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Fault is an error the Service answers a checkpoint call with.
type Fault int

const (
	// FaultThrottle answers TooManyRequestsException (HTTP 429) without
	// applying the checkpoint.
	FaultThrottle Fault = iota + 1
	// FaultServerError answers ServiceException (HTTP 500) without applying
	// the checkpoint.
	FaultServerError
	// FaultStaleToken answers InvalidParameterValueException (HTTP 400)
	// "Invalid checkpoint token ..." without applying the checkpoint, as the
	// service does when a newer invocation superseded the caller.
	FaultStaleToken
	// FaultNoToken applies the checkpoint but answers without a
	// CheckpointToken, so the invocation can make no further checkpoints.
	FaultNoToken
)

// String returns the fault's name.
func (f Fault) String() string {
	switch f {
	case FaultThrottle:
		return "FaultThrottle"
	case FaultServerError:
		return "FaultServerError"
	case FaultStaleToken:
		return "FaultStaleToken"
	case FaultNoToken:
		return "FaultNoToken"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

func (e *execution) checkToken(token string) error {
	if token == "" {
		return validationError("Value at 'checkpointToken' failed to satisfy constraint: Member must not be null")
	}
	if e.token == "" || token != e.token {
		return invalidParam("Invalid checkpoint token: the token is not the execution's current token.")
	}
	return nil
}

func (e *execution) checkpoint(req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	e.calls++
	n := e.calls
	fault := e.faultFor(n, req.Updates)
	if fault != 0 {
		switch fault {
		case FaultThrottle:
			return wire.CheckpointResponse{}, &wire.APIError{Code: "TooManyRequestsException", Message: "Rate exceeded", StatusCode: 429}
		case FaultServerError:
			return wire.CheckpointResponse{}, &wire.APIError{Code: "ServiceException", Message: "Internal service error (injected fault).", StatusCode: 500}
		case FaultStaleToken:
			return wire.CheckpointResponse{}, invalidParam("Invalid checkpoint token: superseded by a newer invocation (injected fault).")
		}
	}
	now := e.now()
	if resp, ok := e.repeated(req, now); ok {
		return resp, nil
	}
	if err := e.checkToken(req.CheckpointToken); err != nil {
		return wire.CheckpointResponse{}, err
	}
	if !e.deadline.IsZero() && now.After(e.deadline) {
		e.timeOut(now)
		return wire.CheckpointResponse{}, invalidParam("Invalid checkpoint token: the execution timed out.")
	}
	if err := e.validate(req.Updates); err != nil {
		return wire.CheckpointResponse{}, err
	}
	e.fireTimers(now)
	terminal := false
	for i := range req.Updates {
		if e.apply(&req.Updates[i], now) {
			terminal = true
		}
	}
	resp := wire.CheckpointResponse{}
	// The response carries what changed since the last one, paginated.
	st := e.page(e.dirty, e.svc.cfg.pageSize)
	resp.NewExecutionState = &st
	for _, r := range e.dirty {
		if e.unseenSet[r.op.Id] {
			delete(e.unseenSet, r.op.Id)
			e.unseen = slices.DeleteFunc(e.unseen, func(id string) bool { return id == r.op.Id })
		}
	}
	e.clearDirty()
	switch {
	case terminal:
		e.token = ""
	case fault == FaultNoToken:
		e.token = ""
	default:
		e.token = e.svc.newToken()
		resp.CheckpointToken = e.token
	}
	e.remember(req, resp, now)
	if e.crash[n] && e.inv != nil {
		e.abandon(&wire.ErrorObject{ErrorType: "Runtime.ExitError", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason (injected crash after checkpoint %d)", e.inv.requestID, n)})
	}
	return resp, nil
}

// clientTokenWindow is how long the service recognizes a repeated
// ClientToken: "Lambda uses this token to detect and handle duplicate
// requests within a 15-minute window" (CheckpointDurableExecution, AWS
// Lambda API Reference). aws-sdk-go-v2 fills ClientToken with a new UUID
// for each CheckpointDurableExecution call, before its retry loop, so an
// attempt the SDK repeats after losing the answer (a connection closed
// while the response was read) carries the same ClientToken and the token
// the first attempt consumed.
const clientTokenWindow = 15 * time.Minute

// answer is an accepted checkpoint call, kept so that a repeat of it gets
// the same response instead of a stale-token rejection.
type answer struct {
	clientToken     string
	checkpointToken string // the token the call consumed
	at              time.Time
	resp            wire.CheckpointResponse
}

// repeated returns the response of the accepted call that req repeats: the
// same ClientToken and CheckpointToken, within clientTokenWindow, while the
// token that call returned is still the current one (so only the latest
// accepted call can be repeated: after any other call, or once the
// invocation was superseded, the old token is as stale as any). Nothing is
// applied again.
func (e *execution) repeated(req wire.CheckpointRequest, now time.Time) (wire.CheckpointResponse, bool) {
	a := e.lastAnswer
	if a == nil || req.ClientToken == "" || now.Sub(a.at) > clientTokenWindow {
		return wire.CheckpointResponse{}, false
	}
	if a.clientToken != req.ClientToken || a.checkpointToken != req.CheckpointToken || a.resp.CheckpointToken != e.token {
		return wire.CheckpointResponse{}, false
	}
	return a.resp, true
}

// remember keeps the response of an accepted call that carried a
// ClientToken, for repeated.
func (e *execution) remember(req wire.CheckpointRequest, resp wire.CheckpointResponse, now time.Time) {
	e.lastAnswer = nil
	if req.ClientToken != "" {
		e.lastAnswer = &answer{clientToken: req.ClientToken, checkpointToken: req.CheckpointToken, at: now, resp: resp}
	}
}

// faultFor returns the fault injected into checkpoint call n carrying
// updates, or 0: a fault by call number first, else the first unfired
// WithCheckpointFaultOn whose predicate matches one of the updates.
func (e *execution) faultFor(n int, updates []wire.OperationUpdate) Fault {
	if f, ok := e.faults[n]; ok {
		return f
	}
	for _, uf := range e.faultOn {
		if uf.fired {
			continue
		}
		for _, u := range updates {
			if uf.match(u) {
				uf.fired = true
				return uf.fault
			}
		}
	}
	return 0
}

// apply applies one validated update; it reports whether the update ended
// the execution.
func (e *execution) apply(u *wire.OperationUpdate, now time.Time) bool {
	ts := wire.At(now)
	if u.Type == wire.TypeExecution {
		r := e.execOp
		e.endTime = now
		r.op.EndTimestamp = ts
		if u.Action == wire.ActionSucceed {
			r.op.Status = wire.StatusSucceeded
			e.status = StatusSucceeded
			e.result = u.Payload
			e.terminalEvent = &Event{EventType: EventExecutionSucceeded, Id: e.id,
				ExecutionSucceededDetails: &ResultDetails{Result: &EventPayload{Payload: u.Payload}}}
		} else {
			r.op.Status = wire.StatusFailed
			e.status = StatusFailed
			e.err = cloneErr(u.Error)
			e.terminalEvent = &Event{EventType: EventExecutionFailed, Id: e.id,
				ExecutionFailedDetails: &ErrorDetails{Error: eventError(u.Error)}}
		}
		e.markDirty(r)
		return true
	}
	r, exists := e.index[u.Id]
	if !exists {
		r = &opRecord{op: wire.Operation{
			Id: u.Id, ParentId: u.ParentId, Name: u.Name, Type: u.Type, SubType: u.SubType,
			StartTimestamp: ts,
		}}
		e.insert(r)
	}
	e.markDirty(r)
	switch u.Type {
	case wire.TypeStep:
		if r.op.StepDetails == nil {
			r.op.StepDetails = &wire.StepDetails{}
		}
		d := r.op.StepDetails
		attempt := d.Attempt + 1
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepStarted, r)
			ev.StepStartedDetails = &EmptyDetails{}
			e.record(ev, now)
		case wire.ActionSucceed:
			r.op.Status = wire.StatusSucceeded
			r.op.EndTimestamp = ts
			d.Result = u.Payload
			d.Error = nil
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepSucceeded, r)
			ev.StepSucceededDetails = &StepSucceededDetails{Result: &EventPayload{Payload: u.Payload}, RetryDetails: &RetryDetails{CurrentAttempt: attempt}}
			e.record(ev, now)
		case wire.ActionFail:
			r.op.Status = wire.StatusFailed
			r.op.EndTimestamp = ts
			d.Error = cloneErr(u.Error)
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepFailed, r)
			ev.StepFailedDetails = &StepFailedDetails{Error: eventError(u.Error), RetryDetails: &RetryDetails{CurrentAttempt: attempt}}
			e.record(ev, now)
		case wire.ActionRetry:
			delay := int(u.StepOptions.NextAttemptDelaySeconds)
			r.op.Status = wire.StatusPending
			d.Attempt = attempt
			d.Result = u.Payload
			d.Error = cloneErr(u.Error)
			d.NextAttemptTimestamp = wire.At(now.Add(time.Duration(delay) * time.Second))
			e.timers[r] = struct{}{}
			rd := &RetryDetails{CurrentAttempt: attempt, NextAttemptDelaySeconds: &delay}
			if u.Error != nil {
				ev := e.opEvent(EventStepFailed, r)
				ev.StepFailedDetails = &StepFailedDetails{Error: eventError(u.Error), RetryDetails: rd}
				e.record(ev, now)
			} else {
				ev := e.opEvent(EventStepSucceeded, r)
				ev.StepSucceededDetails = &StepSucceededDetails{Result: &EventPayload{Payload: u.Payload}, RetryDetails: rd}
				e.record(ev, now)
			}
		}
	case wire.TypeWait:
		switch u.Action {
		case wire.ActionStart:
			secs := int(u.WaitOptions.WaitSeconds)
			r.op.Status = wire.StatusStarted
			r.waitSeconds = secs
			end := now.Add(time.Duration(secs) * time.Second)
			r.op.WaitDetails = &wire.WaitDetails{ScheduledEndTimestamp: wire.At(end)}
			e.timers[r] = struct{}{}
			ev := e.opEvent(EventWaitStarted, r)
			ev.WaitStartedDetails = &WaitStartedDetails{Duration: secs, ScheduledEndTimestamp: end.UTC()}
			e.record(ev, now)
		case wire.ActionCancel:
			delete(e.timers, r)
			r.op.Status = wire.StatusCancelled
			r.op.EndTimestamp = ts
			ev := e.opEvent(EventWaitCancelled, r)
			ev.WaitCancelledDetails = &ErrorDetails{Error: eventErrorOrNil(u.Error)}
			e.record(ev, now)
		}
	case wire.TypeContext:
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			ev := e.opEvent(EventContextStarted, r)
			ev.ContextStartedDetails = &EmptyDetails{}
			e.record(ev, now)
		case wire.ActionSucceed:
			r.op.Status = wire.StatusSucceeded
			r.op.EndTimestamp = ts
			r.op.ContextDetails = &wire.ContextDetails{Result: u.Payload, ReplayChildren: u.ContextOptions != nil && u.ContextOptions.ReplayChildren}
			ev := e.opEvent(EventContextSucceeded, r)
			ev.ContextSucceededDetails = &ResultDetails{Result: &EventPayload{Payload: u.Payload}}
			e.record(ev, now)
		case wire.ActionFail:
			r.op.Status = wire.StatusFailed
			r.op.EndTimestamp = ts
			r.op.ContextDetails = &wire.ContextDetails{Error: cloneErr(u.Error)}
			ev := e.opEvent(EventContextFailed, r)
			ev.ContextFailedDetails = &ErrorDetails{Error: eventError(u.Error)}
			e.record(ev, now)
		}
	case wire.TypeCallback:
		// START only.
		r.op.Status = wire.StatusStarted
		r.op.CallbackDetails = &wire.CallbackDetails{CallbackId: e.svc.newToken()}
		var timeout, heartbeat int
		if o := u.CallbackOptions; o != nil {
			timeout, heartbeat = int(o.TimeoutSeconds), int(o.HeartbeatTimeoutSeconds)
		}
		if timeout > 0 {
			r.timeoutAt = now.Add(time.Duration(timeout) * time.Second)
		}
		if heartbeat > 0 {
			r.heartbeatSeconds = heartbeat
			r.heartbeatAt = now.Add(time.Duration(heartbeat) * time.Second)
		}
		if timeout > 0 || heartbeat > 0 {
			e.timers[r] = struct{}{}
		}
		ev := e.opEvent(EventCallbackStarted, r)
		ev.CallbackStartedDetails = &CallbackStartedDetails{CallbackId: r.op.CallbackDetails.CallbackId, Timeout: timeout, HeartbeatTimeout: heartbeat}
		e.record(ev, now)
	case wire.TypeChainedInvoke:
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			r.op.ChainedInvokeDetails = &wire.ChainedInvokeDetails{}
			ev := e.opEvent(EventChainedInvokeStarted, r)
			d := &ChainedInvokeStartedDetails{Input: &EventPayload{Payload: u.Payload}}
			if o := u.ChainedInvokeOptions; o != nil {
				d.FunctionName, d.TenantId = o.FunctionName, o.TenantId
			}
			e.startInvoke(r, d, u.Payload)
			ev.ChainedInvokeStartedDetails = d
			e.record(ev, now)
		case wire.ActionCancel:
			r.op.Status = wire.StatusCancelled
			r.op.EndTimestamp = ts
			ev := e.opEvent(EventChainedInvokeStopped, r)
			ev.ChainedInvokeStoppedDetails = &ErrorDetails{Error: eventErrorOrNil(u.Error)}
			e.record(ev, now)
		}
	}
	return false
}

func eventError(eo *wire.ErrorObject) *EventError {
	if eo == nil {
		return &EventError{}
	}
	return &EventError{Payload: *cloneErr(eo)}
}

func eventErrorOrNil(eo *wire.ErrorObject) *EventError {
	if eo == nil {
		return nil
	}
	return eventError(eo)
}

func cloneErr(eo *wire.ErrorObject) *wire.ErrorObject {
	if eo == nil {
		return nil
	}
	c := *eo
	c.StackTrace = slices.Clone(eo.StackTrace)
	return &c
}

// cloneOp deep-copies an operation so callers cannot alias service state.
func cloneOp(op *wire.Operation) wire.Operation {
	c := *op
	if d := op.ExecutionDetails; d != nil {
		x := *d
		c.ExecutionDetails = &x
	}
	if d := op.StepDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.StepDetails = &x
	}
	if d := op.WaitDetails; d != nil {
		x := *d
		c.WaitDetails = &x
	}
	if d := op.CallbackDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.CallbackDetails = &x
	}
	if d := op.ChainedInvokeDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.ChainedInvokeDetails = &x
	}
	if d := op.ContextDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.ContextDetails = &x
	}
	return c
}

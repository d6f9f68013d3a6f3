package durabletest

import (
	"fmt"
	"regexp"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// OpenCallbacks returns the execution's CALLBACK operations that are still
// waiting (STARTED), in start order. Their CallbackDetails.CallbackId is
// what SendCallbackSuccess and friends take.
func (s *Service) OpenCallbacks(executionArn string) ([]wire.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return nil, err
	}
	var out []wire.Operation
	for _, r := range e.ops {
		if r.op.Type == wire.TypeCallback && r.op.Status == wire.StatusStarted {
			out = append(out, cloneOp(&r.op))
		}
	}
	return out, nil
}

// maxCallbackResult is the largest result SendDurableExecutionCallbackSuccess
// accepts: "Maximum size is 256 KB", length 0 to 262144 (Lambda API
// Reference, SendDurableExecutionCallbackSuccess).
const maxCallbackResult = 262144

// callbackIDRE is the CallbackId pattern of the callback APIs (1 to 1024
// characters of base64).
var callbackIDRE = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)

// SendCallbackSuccess completes a callback with result, as
// SendDurableExecutionCallbackSuccess does: a result over 262,144 bytes is
// refused with InvalidParameterValueException.
func (s *Service) SendCallbackSuccess(callbackID, result string) error {
	if len(result) > maxCallbackResult {
		return invalidParam(fmt.Sprintf("Result size must be less than or equal to %d bytes, got %d.", maxCallbackResult, len(result)))
	}
	return s.resolveCallback(callbackID, func(e *execution, r *opRecord, now time.Time) {
		r.op.Status = wire.StatusSucceeded
		r.op.EndTimestamp = wire.At(now)
		r.op.CallbackDetails.Result = result
		ev := e.opEvent(EventCallbackSucceeded, r)
		ev.CallbackSucceededDetails = &ResultDetails{Result: &EventPayload{Payload: result}}
		e.record(ev, now)
	})
}

// SendCallbackFailure fails a callback with eo, as
// SendDurableExecutionCallbackFailure does.
func (s *Service) SendCallbackFailure(callbackID string, eo *wire.ErrorObject) error {
	return s.resolveCallback(callbackID, func(e *execution, r *opRecord, now time.Time) {
		r.op.Status = wire.StatusFailed
		r.op.EndTimestamp = wire.At(now)
		r.op.CallbackDetails.Error = cloneErr(eo)
		ev := e.opEvent(EventCallbackFailed, r)
		ev.CallbackFailedDetails = &ErrorDetails{Error: eventError(eo)}
		e.record(ev, now)
	})
}

// SendCallbackHeartbeat restarts a callback's heartbeat timeout, as
// SendDurableExecutionCallbackHeartbeat does.
func (s *Service) SendCallbackHeartbeat(callbackID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, r, err := s.findCallback(callbackID)
	if err != nil {
		return err
	}
	if !r.heartbeatAt.IsZero() {
		r.heartbeatAt = e.now().Add(time.Duration(r.heartbeatSeconds) * time.Second)
	}
	return nil
}

func (s *Service) findCallback(callbackID string) (*execution, *opRecord, error) {
	if len(callbackID) > 1024 || !callbackIDRE.MatchString(callbackID) {
		return nil, nil, invalidParam("CallbackId must be 1 to 1024 characters matching [A-Za-z0-9+/]+={0,2}.")
	}
	for _, e := range s.execs {
		for _, r := range e.ops {
			if r.op.Type != wire.TypeCallback || r.op.CallbackDetails == nil || r.op.CallbackDetails.CallbackId != callbackID {
				continue
			}
			if r.op.Status != wire.StatusStarted {
				return nil, nil, &wire.APIError{Code: "CallbackTimeoutException", Message: "The callback " + callbackID + " has already completed or timed out.", StatusCode: 400}
			}
			return e, r, nil
		}
	}
	return nil, nil, &wire.APIError{Code: "ResourceNotFoundException", Message: "The callback " + callbackID + " does not exist.", StatusCode: 404}
}

func (s *Service) resolveCallback(callbackID string, apply func(e *execution, r *opRecord, now time.Time)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, r, err := s.findCallback(callbackID)
	if err != nil {
		return err
	}
	delete(e.timers, r)
	apply(e, r, e.now())
	e.markDirty(r)
	e.markUnseen(r)
	return nil
}

// NextTimer returns when the execution's next timer is due: a wait, a step
// retry or a callback timeout. ok is false when no timer is pending.
func (s *Service) NextTimer(executionArn string) (due time.Time, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return time.Time{}, false, err
	}
	due, ok = e.nextTimer()
	return due, ok, nil
}

// AdvanceClock moves the virtual clock of a suspended execution forward to
// t, as time passing while nothing runs: timers due by then fire at their
// due times, in order, and an execution timeout before t ends the
// execution. A WithOnBlocked hook uses it to act as an external system
// that answers after a delay. It fails while an invocation is running or
// after the execution ended; a t that is not after the clock changes
// nothing.
func (s *Service) AdvanceClock(executionArn string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return err
	}
	if e.status != StatusRunning {
		return invalidParam("The durable execution has ended: " + string(e.status))
	}
	if e.inv != nil {
		return invalidParam("An invocation is in progress; the virtual clock only moves between invocations.")
	}
	for {
		next, ok := e.nextTimer()
		if !ok || next.After(t) {
			break
		}
		if !e.deadline.IsZero() && next.After(e.deadline) {
			break
		}
		if next.After(e.clock) {
			e.clock = next
		}
		e.fireTimers(e.clock)
	}
	if !e.deadline.IsZero() && t.After(e.deadline) {
		e.clock = e.deadline
		e.timeOut(e.deadline)
		return nil
	}
	if t.After(e.clock) {
		e.clock = t
	}
	return nil
}

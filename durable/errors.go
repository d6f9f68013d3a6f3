package durable

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// OperationError is what every failed durable operation returns, inside a
// type of its own per operation (StepError, WaitForConditionError,
// ChildContextError, MapError, MapItemError, ParallelError,
// ParallelBranchError, CallbackError, InvokeError, CombinatorError), so
// code can match one kind of operation with errors.As, or any with
// errors.As(err, &opErr) for an *OperationError. It is rebuilt from the checkpointed error object, so it
// is the same on the first run and on every replay; the original Go error
// value is not preserved, only its type name, message and data.
type OperationError struct {
	// Kind names the operation: "step", "wait for condition",
	// "child context", "map", "map item", "parallel", "parallel branch",
	// "callback", "wait for callback", "invoke", "combinator".
	Kind string
	// Name is the operation's name, if it has one.
	Name string
	// Type is the recorded error type (for Go errors, the type's name; an
	// error may choose it with an ErrorType() string method).
	Type string
	// Message is the recorded error message.
	Message string
	// Data is optional machine-readable detail.
	Data string
}

// Error describes the failed operation and the recorded error.
func (e *OperationError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%s %q failed: %s: %s", e.Kind, e.Name, e.Type, e.Message)
	}
	return fmt.Sprintf("%s failed: %s: %s", e.Kind, e.Type, e.Message)
}

// Object returns the error as the service records it.
func (e *OperationError) Object() *wire.ErrorObject {
	return &wire.ErrorObject{ErrorType: e.Type, ErrorMessage: e.Message, ErrorData: e.Data}
}

// StepError is returned by Step once the step has failed for good: its
// last attempt failed and the retry strategy gave up.
type StepError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *StepError) Unwrap() error { return &e.OperationError }

// WaitForConditionError is returned by WaitForCondition when a check or
// the wait strategy failed.
type WaitForConditionError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *WaitForConditionError) Unwrap() error { return &e.OperationError }

// ChildContextError is returned by RunInChildContext when the child's
// function failed.
type ChildContextError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *ChildContextError) Unwrap() error { return &e.OperationError }

// MapError is returned by Map when the Map itself failed (its result could
// not be encoded, say). Failed items do not fail the Map: they are in its
// BatchResult as MapItemError.
type MapError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *MapError) Unwrap() error { return &e.OperationError }

// MapItemError is the Err of a BatchItem whose item function failed.
type MapItemError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *MapItemError) Unwrap() error { return &e.OperationError }

// ParallelError is returned by Parallel when the Parallel itself failed
// (its result could not be encoded, say). Failed branches do not fail the
// Parallel: they are in its BatchResult as ParallelBranchError.
type ParallelError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *ParallelError) Unwrap() error { return &e.OperationError }

// ParallelBranchError is the Err of a BatchItem whose Parallel branch
// failed.
type ParallelBranchError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *ParallelBranchError) Unwrap() error { return &e.OperationError }

// InvokeError is returned by Invoke when the invoked function failed
// (Status FAILED, with its error type and message), timed out (TIMED_OUT)
// or was stopped (STOPPED, CANCELLED).
type InvokeError struct {
	OperationError
	// Status is the chained invoke's recorded status.
	Status string
}

// Unwrap returns the common *OperationError.
func (e *InvokeError) Unwrap() error { return &e.OperationError }

// TimedOut reports whether the invoked function timed out.
func (e *InvokeError) TimedOut() bool { return e.Status == string(wire.StatusTimedOut) }

// CallbackError is returned by Callback.Result and WaitForCallback when
// the callback failed: the external system reported a failure (its error
// type and message are recorded), it timed out (TimedOut), or, for
// WaitForCallback, the submitter step failed for good.
type CallbackError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *CallbackError) Unwrap() error { return &e.OperationError }

// TimedOut reports whether the callback timed out, on its overall timeout
// or on its heartbeat timeout, rather than being failed by the external
// system.
func (e *CallbackError) TimedOut() bool {
	return e.Type == CallbackTimeoutType || e.Type == CallbackHeartbeatTimeoutType
}

// HeartbeatTimedOut reports whether the callback timed out because no
// heartbeat arrived in time.
func (e *CallbackError) HeartbeatTimedOut() bool { return e.Type == CallbackHeartbeatTimeoutType }

// Error types the service records for a timed-out callback.
const (
	CallbackTimeoutType          = "Callback.Timeout"
	CallbackHeartbeatTimeoutType = "Callback.Heartbeat"
)

// Operation kinds, as OperationError.Kind names them.
const (
	kindStep             = "step"
	kindWaitForCondition = "wait for condition"
	kindChildContext     = "child context"
	kindMap              = "map"
	kindMapItem          = "map item"
	kindParallel         = "parallel"
	kindParallelBranch   = "parallel branch"
	kindInvoke           = "invoke"
	kindCombinator       = "combinator"
	// kindCombinatorFunction fails with a plain *OperationError.
	kindCombinatorFunction = "combinator function"
	kindCallback           = "callback"
	kindWaitForCallback    = "wait for callback"
)

// StepInterruptedError is the failure recorded for an at-most-once step
// whose attempt started in an earlier invocation that never finished it.
type StepInterruptedError struct {
	Name string
}

// Error says the attempt was interrupted.
func (e *StepInterruptedError) Error() string {
	return fmt.Sprintf("step %q was interrupted before its result was recorded; at-most-once semantics forbid running the attempt again", e.Name)
}

// ErrorType names the error in checkpoints.
func (e *StepInterruptedError) ErrorType() string { return "StepInterruptedError" }

// NonDeterministicError reports that the handler, on replay, asked for a
// different operation than the one recorded at the same position: the code
// changed between deployments or depends on something other than its input
// and recorded results. It fails the execution.
type NonDeterministicError struct {
	ID       string
	Recorded string
	Current  string
}

// Error says what was recorded and what runs now.
func (e *NonDeterministicError) Error() string {
	return fmt.Sprintf("durable: non-deterministic replay at operation %q: the checkpoint recorded %s, but the handler now runs %s; the handler code changed between deployments or is not deterministic", e.ID, e.Recorded, e.Current)
}

// ErrorType names the error in the execution's result.
func (e *NonDeterministicError) ErrorType() string { return "NonDeterministicExecutionError" }

// SerdesError reports a result that could not be serialized or deserialized.
type SerdesError struct {
	Err error
}

// Error describes the serialization failure.
func (e *SerdesError) Error() string { return "durable: serialization failed: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SerdesError) Unwrap() error { return e.Err }

// ErrorType names the error in checkpoints.
func (e *SerdesError) ErrorType() string { return "SerdesError" }

// errSuspended unwinds user code when the invocation suspends. Handlers that
// see it from an operation must return it (or any error): the runtime
// answers PENDING whatever the handler returns.
var errSuspended = errors.New("durable: execution suspended; this invocation is ending and a later one will resume it")

// IsSuspended reports whether err means the invocation is suspending. Code
// that handles operation errors should pass such errors through unchanged.
func IsSuspended(err error) bool { return errors.Is(err, errSuspended) }

// errorObject converts a Go error into the recorded error object.
func errorObject(err error) *wire.ErrorObject {
	var opErr *OperationError
	if errors.As(err, &opErr) {
		return opErr.Object()
	}
	return &wire.ErrorObject{ErrorType: errorTypeName(err), ErrorMessage: err.Error()}
}

// errorTypeName is the name recorded as ErrorType: the error's own
// ErrorType() method when it has one, else its Go type name; errors made by
// errors.New and fmt.Errorf are recorded as "Error".
func errorTypeName(err error) string {
	if typed, ok := err.(interface{ ErrorType() string }); ok {
		return typed.ErrorType()
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Name() == "", t.PkgPath() == "errors", t.PkgPath() == "fmt":
		return "Error"
	}
	return t.Name()
}

// operationError rebuilds the error of a failed operation of the given
// kind from its record, as the kind's own error type.
func operationError(kind, name string, obj *wire.ErrorObject) error {
	e := OperationError{Kind: kind, Name: name}
	if obj != nil {
		e.Type, e.Message, e.Data = obj.ErrorType, obj.ErrorMessage, obj.ErrorData
	}
	if e.Type == "" {
		e.Type = "Error"
	}
	switch kind {
	case kindStep:
		return &StepError{e}
	case kindWaitForCondition:
		return &WaitForConditionError{e}
	case kindChildContext:
		return &ChildContextError{e}
	case kindMap:
		return &MapError{e}
	case kindMapItem:
		return &MapItemError{e}
	case kindParallel:
		return &ParallelError{e}
	case kindParallelBranch:
		return &ParallelBranchError{e}
	case kindInvoke:
		return &InvokeError{OperationError: e}
	case kindCombinator:
		return &CombinatorError{e}
	case kindCallback, kindWaitForCallback:
		return &CallbackError{e}
	}
	return &e
}

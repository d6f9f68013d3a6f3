package durabletest

import (
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Status is the status of a durable execution.
type Status string

// Execution statuses, as GetDurableExecution spells them.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusStopped   Status = "STOPPED"
)

// Result is the outcome of one run of an execution.
type Result[O any] struct {
	// ExecutionArn identifies the execution in the runner's Service.
	ExecutionArn string
	// Status is the execution's final status; StatusRunning if the run
	// stopped at the invocation cap.
	Status Status
	// Value is RawResult decoded from JSON into O (zero if the execution
	// did not succeed or returned no result).
	Value O
	// RawResult is the result JSON text: the invocation's Result, or the
	// payload of an EXECUTION SUCCEED checkpoint.
	RawResult string
	// Error is the execution's error when it failed or timed out.
	Error *wire.ErrorObject
	// Invocations counts the invocations, failed ones included.
	Invocations int
	// CapReached reports that the run stopped at the invocation cap.
	CapReached bool
	// Operations is every recorded operation in start order, the EXECUTION
	// operation first, including children of completed contexts.
	Operations []wire.Operation
	// History is the execution history, as GetDurableExecutionHistory
	// returns it.
	History []Event
	// Logs is the function's log output during this run.
	Logs string
}

// Operation returns the first operation (in start order) with the given
// name.
func (r *Result[O]) Operation(name string) (wire.Operation, bool) { panic("not implemented") }

// OperationsByType returns the operations of type t in start order.
func (r *Result[O]) OperationsByType(t wire.OperationType) []wire.Operation {
	panic("not implemented")
}

// OperationByID returns the operation with the given wire Id.
func (r *Result[O]) OperationByID(id string) (wire.Operation, bool) { panic("not implemented") }

// Children returns the operations whose ParentId is id, in start order.
func (r *Result[O]) Children(id string) []wire.Operation { panic("not implemented") }

// Events returns the history events of the given types (all events if none
// are given), in order.
func (r *Result[O]) Events(types ...EventType) []Event { panic("not implemented") }

// Tree renders the operations as an indented tree, one per line: name,
// type, subtype, status, attempt and id, children under their parent. Use it
// in test failure messages.
func (r *Result[O]) Tree() string { panic("not implemented") }

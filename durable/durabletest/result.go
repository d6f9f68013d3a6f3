package durabletest

import (
	"fmt"
	"strings"

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
	// stopped at the invocation cap or waits for an external event.
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
func (r *Result[O]) Operation(name string) (wire.Operation, bool) {
	for _, op := range r.Operations {
		if op.Name == name && op.Type != wire.TypeExecution {
			return op, true
		}
	}
	return wire.Operation{}, false
}

// OperationsByType returns the operations of type t in start order.
func (r *Result[O]) OperationsByType(t wire.OperationType) []wire.Operation {
	var out []wire.Operation
	for _, op := range r.Operations {
		if op.Type == t {
			out = append(out, op)
		}
	}
	return out
}

// OperationByID returns the operation with the given wire Id.
func (r *Result[O]) OperationByID(id string) (wire.Operation, bool) {
	for _, op := range r.Operations {
		if op.Id == id {
			return op, true
		}
	}
	return wire.Operation{}, false
}

// Children returns the operations whose ParentId is id, in start order.
func (r *Result[O]) Children(id string) []wire.Operation {
	var out []wire.Operation
	for _, op := range r.Operations {
		if op.ParentId == id {
			out = append(out, op)
		}
	}
	return out
}

// Events returns the history events of the given types (all events if none
// are given), in order.
func (r *Result[O]) Events(types ...EventType) []Event {
	var out []Event
	for _, ev := range r.History {
		if len(types) == 0 {
			out = append(out, ev)
			continue
		}
		for _, t := range types {
			if ev.EventType == t {
				out = append(out, ev)
				break
			}
		}
	}
	return out
}

// Tree renders the operations as an indented tree, one per line: name,
// type, subtype, status, attempt and id, children under their parent. Use it
// in test failure messages.
func (r *Result[O]) Tree() string { return formatTree(r.Operations) }

func formatTree(ops []wire.Operation) string {
	children := map[string][]int{}
	known := map[string]bool{}
	for _, op := range ops {
		known[op.Id] = true
	}
	var roots []int
	for i, op := range ops {
		if op.ParentId != "" && known[op.ParentId] {
			children[op.ParentId] = append(children[op.ParentId], i)
		} else {
			roots = append(roots, i)
		}
	}
	var b strings.Builder
	var walk func(i, depth int)
	walk = func(i, depth int) {
		op := ops[i]
		name := op.Name
		if name == "" {
			name = "(unnamed)"
		}
		fmt.Fprintf(&b, "%s%s  %s", strings.Repeat("  ", depth), name, op.Type)
		if op.SubType != "" {
			fmt.Fprintf(&b, "/%s", op.SubType)
		}
		fmt.Fprintf(&b, "  %s", op.Status)
		if d := op.StepDetails; d != nil {
			fmt.Fprintf(&b, "  attempt=%d", d.Attempt+1)
			if d.Error != nil {
				fmt.Fprintf(&b, "  error=%s: %q", d.Error.ErrorType, d.Error.ErrorMessage)
			}
		}
		if d := op.ContextDetails; d != nil && d.Error != nil {
			fmt.Fprintf(&b, "  error=%s: %q", d.Error.ErrorType, d.Error.ErrorMessage)
		}
		fmt.Fprintf(&b, "  id=%s\n", op.Id)
		for _, c := range children[op.Id] {
			walk(c, depth+1)
		}
	}
	for _, i := range roots {
		walk(i, 0)
	}
	return b.String()
}

package durable

import (
	"errors"
	"fmt"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Combinators run several durable functions concurrently and combine their
// outcomes like JavaScript's Promise.all, allSettled, any and race. Each
// combinator is one CONTEXT operation named name; every function runs in a
// goroutine of its own with an id space of its own inside it (their
// operations are recorded under the combinator's), in index order. Once the
// combinator has decided, its outcome (the results, or the winner's index
// and result) is recorded, so a replay returns the same outcome, and the
// same winner, without running the functions again. Functions still
// running when the combinator decides are abandoned: their next durable
// operation returns an error instead of starting.
//
// A combinator that fails returns a *CombinatorError (an *OperationError)
// recorded with ErrorType "PromiseCombinatorError"; its Cause is the
// deciding function's error type and message.

// CombinatorError is returned by All, Any and Race when they fail.
type CombinatorError struct{ OperationError }

// Unwrap returns the common *OperationError.
func (e *CombinatorError) Unwrap() error { return &e.OperationError }

// CauseType returns the recorded error type of the function whose failure
// decided the combinator ("" for Any, where every function failed).
func (e *CombinatorError) CauseType() string { return e.Data }

// combinatorErrorType is the error type a failed combinator records.
const combinatorErrorType = "PromiseCombinatorError"

// errAllRejected is the message of Any when every function failed.
const errAllRejected = "All promises were rejected"

// All runs fns concurrently and returns their results in index order once
// all succeeded. The first failure decides: All fails with it and the
// other functions are abandoned.
func All[T any](ctx Context, name string, fns ...func(Context) (T, error)) ([]T, error) {
	var out []T
	err := runCombinator(ctx, name, fns, CompletionConfig{ToleratedFailureCount: new(0)},
		func(res BatchResult[T]) (any, error) {
			if err := res.Err(); err != nil {
				return nil, err
			}
			return res.Results(), nil
		}, &out)
	return out, err
}

// AllSettled runs fns concurrently and returns every outcome once all have
// finished: a BatchResult with one item per function, in index order,
// whose failed items carry their errors (*OperationError of kind
// "combinator function", named "<name>-<index>"). It fails only when it
// cannot run.
func AllSettled[T any](ctx Context, name string, fns ...func(Context) (T, error)) (BatchResult[T], error) {
	var out BatchResult[T]
	err := runCombinator(ctx, name, fns, CompletionConfig{},
		func(res BatchResult[T]) (any, error) { return res, nil }, &out)
	// The recorded result carries error objects only: name each failed
	// function's error as the combinator's.
	for i, it := range out.Items {
		var itemErr *MapItemError
		if errors.As(it.Err, &itemErr) {
			e := itemErr.OperationError
			e.Kind, e.Name = kindCombinatorFunction, functionName(name, it.Index)
			out.Items[i].Err = &e
		}
	}
	return out, err
}

// functionName names the index-th function of combinator name.
func functionName(name string, index int) string { return fmt.Sprintf("%s-%d", name, index) }

// Any runs fns concurrently and returns the result of the first one that
// succeeds; the others are abandoned. When every function fails, Any fails
// with "All promises were rejected".
func Any[T any](ctx Context, name string, fns ...func(Context) (T, error)) (T, error) {
	var out winner[T]
	err := runCombinator(ctx, name, fns, CompletionConfig{MinSuccessful: new(1)},
		func(res BatchResult[T]) (any, error) {
			for _, it := range res.Items {
				if it.Status == ItemSucceeded {
					return winner[T]{Index: it.Index, Result: it.Result}, nil
				}
			}
			return nil, &combinatorFailure{message: errAllRejected}
		}, &out)
	return out.Result, err
}

// Race runs fns concurrently and returns the outcome of the first one that
// finishes, success or failure; the others are abandoned. Race with no
// functions is an error.
func Race[T any](ctx Context, name string, fns ...func(Context) (T, error)) (T, error) {
	var out winner[T]
	if len(fns) == 0 {
		return out.Result, fmt.Errorf("durable: race %q: no functions to race", name)
	}
	err := runCombinator(ctx, name, fns, CompletionConfig{MinSuccessful: new(1), ToleratedFailureCount: new(0)},
		func(res BatchResult[T]) (any, error) {
			for _, it := range res.Items {
				switch it.Status {
				case ItemSucceeded:
					return winner[T]{Index: it.Index, Result: it.Result}, nil
				case ItemFailed:
					return nil, it.Err
				}
			}
			return nil, errors.New("no function finished")
		}, &out)
	return out.Result, err
}

// winner is the recorded outcome of Any and Race.
type winner[T any] struct {
	Index  int `json:"index"`
	Result T   `json:"result"`
}

// combinatorFailure is a combinator's own failure, not a function's.
type combinatorFailure struct{ message string }

func (e *combinatorFailure) Error() string { return e.message }

// runCombinator runs fns as the flat items of a batch inside one CONTEXT
// named name (§5.8), stopping as cc says; decide turns the batch into the
// value recorded and decoded into out, or into the deciding error.
func runCombinator[T any](ctx Context, name string, fns []func(Context) (T, error), cc CompletionConfig, decide func(BatchResult[T]) (any, error), out any) error {
	for i, fn := range fns {
		if fn == nil {
			return fmt.Errorf("durable: combinator %q: function %d is nil", name, i)
		}
	}
	serdes := JSONSerdes{}
	parent := ctx.workflow()
	return parent.runChild(parent.claim(), childSpec{
		kind:    kindCombinator,
		name:    name,
		subType: wire.SubTypeRunInChildContext,
		body: func(c Context) (string, error) {
			outcomes, reason, err := c.workflow().runBatch(batchSpec{
				count:      len(fns),
				completion: cc,
				nesting:    NestingFlat,
				name:       func(i int) string { return functionName(name, i) },
				kind:       kindCombinatorFunction,
				item: func(itemCtx Context, i int) (string, error) {
					v, err := fns[i](itemCtx)
					if err != nil {
						return "", err
					}
					_, data, err := roundTrip[T](serdes, v)
					return data, err
				},
			})
			if err != nil {
				return "", err
			}
			res, err := collect[T](outcomes, reason, serdes)
			if err != nil {
				return "", err
			}
			v, err := decide(res)
			if err != nil {
				return "", combinatorError(err)
			}
			data, err := serdes.Serialize(v)
			if err != nil {
				return "", &SerdesError{Err: err}
			}
			// A larger outcome would need ReplayChildren, whose replay
			// re-runs the functions and could not re-run the abandoned ones.
			if len(data) > maxContextResult {
				return "", fmt.Errorf("durable: combinator %q: its outcome is %d bytes; at most %d can be recorded, so return a smaller value (a key to the data, say)", name, len(data), maxContextResult)
			}
			if err := serdes.Deserialize(data, out); err != nil {
				return "", &SerdesError{Err: err}
			}
			return data, nil
		},
		replay: func(data string) error {
			if err := serdes.Deserialize(data, out); err != nil {
				return &SerdesError{Err: err}
			}
			return nil
		},
	})
}

// combinatorError records the deciding failure as PromiseCombinatorError,
// with the function's error type as data.
func combinatorError(err error) error {
	e := &CombinatorError{OperationError{Type: combinatorErrorType, Message: err.Error()}}
	var fail *combinatorFailure
	var opErr *OperationError
	switch {
	case errors.As(err, &fail):
	case errors.As(err, &opErr):
		e.Message, e.Data = opErr.Message, opErr.Type
	default:
		e.Data = errorTypeName(err)
	}
	return e
}

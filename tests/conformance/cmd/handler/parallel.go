package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// errBranch is what failing branches return.
var errBranch = errors.New("branch failed")

// constant returns a branch that returns v without an inner operation.
func constant[O any](v O) durable.Branch[O] {
	return durable.Branch[O]{Fn: func(durable.Context) (O, error) { return v, nil }}
}

// stepBranch returns a branch that runs one unnamed step returning v.
func stepBranch(v string) durable.Branch[string] {
	return durable.Branch[string]{Fn: func(ctx durable.Context) (string, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) { return v, nil })
	}}
}

// failing returns a branch that fails.
func failing() durable.Branch[string] {
	return durable.Branch[string]{Fn: func(durable.Context) (string, error) { return "", errBranch }}
}

// results returns a handler running branches one at a time under name with
// opts and returning the successful results.
func results[O any](name string, branches []durable.Branch[O], opts ...durable.MapOption) caseHandler {
	return handle(func(ctx durable.Context, _ event[any]) ([]O, error) {
		res, err := durable.Parallel(ctx, name, branches, append([]durable.MapOption{durable.WithMaxConcurrency(1)}, opts...)...)
		if err != nil {
			return nil, err
		}
		return res.Results(), nil
	})
}

// projection is the summary of a batch result several fixtures return;
// each fixture lists the fields it wants.
type projection struct {
	CompletionReason durable.CompletionReason `json:"completionReason"`
	Status           string                   `json:"status,omitempty"`
	SuccessCount     int                      `json:"successCount"`
	FailureCount     *int                     `json:"failureCount,omitempty"`
	TotalCount       int                      `json:"totalCount"`
}

// project returns a handler running branches one at a time under name with
// the completion config and returning the projection; withStatus and
// withFailures choose the optional fields.
func project(name string, branches []durable.Branch[string], cc durable.CompletionConfig, withStatus, withFailures bool) caseHandler {
	return handle(func(ctx durable.Context, _ event[any]) (projection, error) {
		res, err := durable.Parallel(ctx, name, branches, durable.WithMaxConcurrency(1), durable.WithCompletion(cc))
		if err != nil {
			return projection{}, err
		}
		p := projection{CompletionReason: res.CompletionReason, SuccessCount: res.SuccessCount(), TotalCount: res.TotalCount()}
		if withStatus {
			p.Status = res.Status()
		}
		if withFailures {
			n := res.FailureCount()
			p.FailureCount = &n
		}
		return p, nil
	})
}

// envelopeSerdes stores a value v as {"wrapped": v} (8-15).
type envelopeSerdes struct{}

func (envelopeSerdes) Serialize(v any) (string, error) {
	b, err := json.Marshal(map[string]any{"wrapped": v})
	return string(b), err
}

func (envelopeSerdes) Deserialize(data string, target any) error {
	var env struct {
		Wrapped json.RawMessage `json:"wrapped"`
	}
	if err := json.Unmarshal([]byte(data), &env); err != nil {
		return fmt.Errorf("envelope serdes: %w", err)
	}
	if env.Wrapped == nil {
		return fmt.Errorf("envelope serdes: %q has no wrapped value", data)
	}
	return json.Unmarshal(env.Wrapped, target)
}

var parallelCases = map[string]caseHandler{
	// 8-1: two branches of one step each.
	"8-1": results("parallel", []durable.Branch[string]{stepBranch("task-1"), stepBranch("task-2")}),
	// 8-2: no name, branches return constants.
	"8-2": results("", []durable.Branch[string]{constant("alpha"), constant("beta")}),
	// 8-3: named branches.
	"8-3": results("named", []durable.Branch[string]{
		{Name: "first", Fn: constant("one").Fn},
		{Name: "second", Fn: constant("two").Fn},
	}),
	// 8-4: a string, a number and an object.
	"8-4": results("hetero", []durable.Branch[any]{constant[any]("hello"), constant[any](42), constant[any](map[string]string{"k": "v"})}),
	// 8-5: no branches.
	"8-5": results("empty", []durable.Branch[string]{}),
	// 8-6: fail fast after the second branch.
	"8-6": project("failfast", []durable.Branch[string]{constant("ok"), failing(), constant("never")},
		durable.CompletionConfig{ToleratedFailureCount: ptr(0)}, true, true),
	// 8-7: the first failure, rethrown by the handler.
	"8-7": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		res, err := durable.Parallel(ctx, "throwing", []durable.Branch[string]{failing(), constant("never")},
			durable.WithMaxConcurrency(1), durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(0)}))
		if err != nil {
			return nil, err
		}
		return res.Results(), res.Err()
	}),
	// 8-8: stop once two branches succeeded.
	"8-8": project("min-successful", []durable.Branch[string]{constant("a"), constant("b"), constant("c"), constant("d")},
		durable.CompletionConfig{MinSuccessful: ptr(2)}, false, false),
	// 8-9: one failure tolerated, all branches run.
	"8-9": project("tolerated", []durable.Branch[string]{constant("a"), failing(), constant("c")},
		durable.CompletionConfig{ToleratedFailureCount: ptr(1)}, true, true),
	// 8-10: the second failure exceeds the tolerance of one.
	"8-10": project("tolerated-exceeded", []durable.Branch[string]{failing(), failing(), constant("c")},
		durable.CompletionConfig{ToleratedFailureCount: ptr(1)}, false, true),
	// 8-11: two at a time; results stay in branch order.
	"8-11": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		res, err := durable.Parallel(ctx, "concurrent", []durable.Branch[string]{constant("r0"), constant("r1"), constant("r2")}, durable.WithMaxConcurrency(2))
		if err != nil {
			return nil, err
		}
		return res.Results(), nil
	}),
	// 8-12: flat nesting: the steps belong to the Parallel.
	"8-12": results("flat", []durable.Branch[string]{stepBranch("fa"), stepBranch("fb")}, durable.WithNesting(durable.NestingFlat)),
	// 8-13: more than 25 % of four branches failed.
	"8-13": project("tolerated-pct", []durable.Branch[string]{failing(), failing(), constant("c"), constant("d")},
		durable.CompletionConfig{ToleratedFailurePercentage: ptr(25.0)}, false, true),
	// 8-14: the second branch waits two seconds; replay skips the first.
	"8-14": results("replay", []durable.Branch[string]{stepBranch("b0"), {Fn: func(ctx durable.Context) (string, error) {
		if err := durable.Wait(ctx, "", 2*time.Second); err != nil {
			return "", err
		}
		return "b1", nil
	}}}),
	// 8-15: branch results stored as {"wrapped": v}.
	"8-15": results("serde", []durable.Branch[string]{constant("x"), constant("y")}, durable.WithItemSerdes(envelopeSerdes{})),
	// 8-16: every branch fails, within the tolerance.
	"8-16": project("all-fail", []durable.Branch[string]{failing(), failing(), failing()},
		durable.CompletionConfig{ToleratedFailureCount: ptr(3)}, true, true),
	// 8-17: three successes wanted, two reached.
	"8-17": project("min-not-reached", []durable.Branch[string]{constant("a"), failing(), constant("c")},
		durable.CompletionConfig{MinSuccessful: ptr(3)}, true, true),
	// 8-18: the failure tolerance is exceeded before three successes.
	"8-18": project("combined", []durable.Branch[string]{failing(), failing(), constant("c"), constant("d")},
		durable.CompletionConfig{MinSuccessful: ptr(3), ToleratedFailureCount: ptr(1)}, false, true),
	// 8-19: max concurrency 0 is invalid.
	"8-19": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		res, err := durable.Parallel(ctx, "bad-concurrency", []durable.Branch[string]{constant("a"), constant("b")}, durable.WithMaxConcurrency(0))
		return res.Results(), err
	}),
	// 8-20: the batch result's accessors.
	"8-20": handle(func(ctx durable.Context, _ event[any]) (map[string]any, error) {
		res, err := durable.Parallel(ctx, "accessors", []durable.Branch[string]{constant("a"), failing(), constant("c")},
			durable.WithMaxConcurrency(1), durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(1)}))
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"hasFailure":   res.HasFailure(),
			"successCount": len(res.Succeeded()),
			"failureCount": len(res.Failed()),
			"errorCount":   len(res.Errors()),
		}, nil
	}),
	// 8-21: a Parallel inside a branch of a Parallel.
	"8-21": results("outer", []durable.Branch[[]string]{{Fn: func(ctx durable.Context) ([]string, error) {
		res, err := durable.Parallel(ctx, "inner", []durable.Branch[string]{stepBranch("i1"), stepBranch("i2")}, durable.WithMaxConcurrency(1))
		if err != nil {
			return nil, err
		}
		return res.Results(), nil
	}}}),
	// 8-22: exactly 25 % failed: not more than tolerated.
	"8-22": project("pct-boundary", []durable.Branch[string]{failing(), constant("b"), constant("c"), constant("d")},
		durable.CompletionConfig{ToleratedFailurePercentage: ptr(25.0)}, true, true),
}

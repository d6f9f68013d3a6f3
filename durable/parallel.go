package durable

import (
	"errors"
	"fmt"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Branch is one branch of Parallel: a function run in a child context of
// its own, recorded under Name (default "parallel-branch-<index>").
type Branch[O any] struct {
	Name string
	Fn   func(ctx Context) (O, error)
}

// Parallel runs the branches, each in a child context of its own (a
// CONTEXT operation with subtype ParallelBranch), with at most
// WithMaxConcurrency branches at once, and records the whole as one
// CONTEXT operation (subtype Parallel). Branches start in index order and
// the completion policy (WithCompletion) is checked after each branch
// ends, exactly as for Map; WithItemSerdes, WithBatchSerdes and
// WithNesting apply too, and WithItemNamer names branches whose Name is
// empty. Branch failures do not make Parallel fail: they are reported in
// the BatchResult, each as a *ParallelBranchError (BatchResult.Err returns
// the first). Parallel returns an error only when it cannot run (bad
// options, a nil branch function, suspension, checkpoint failures) or when
// the Parallel itself failed, as a *ParallelError. Unlike Map,
// WithMaxConcurrency below 1 is rejected rather than meaning no limit.
func Parallel[O any](ctx Context, name string, branches []Branch[O], opts ...MapOption) (BatchResult[O], error) {
	cfg := mapConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	var result BatchResult[O]
	if cfg.maxSet && cfg.maxConcurrency < 1 {
		return result, fmt.Errorf("durable: parallel %q: max concurrency must be at least 1, got %d (leave it unset for no limit)", name, cfg.maxConcurrency)
	}
	if err := cfg.completion.validate(); err != nil {
		return result, fmt.Errorf("durable: parallel %q: %w", name, err)
	}
	for i, b := range branches {
		if b.Fn == nil {
			return result, fmt.Errorf("durable: parallel %q: branch %d (%q) has no function", name, i, b.Name)
		}
	}
	itemSerdes := serdesOr(cfg.itemSerdes)
	batchSerdes := serdesOr(cfg.batchSerdes)
	branchName := func(i int) string {
		if n := branches[i].Name; n != "" {
			return n
		}
		if cfg.namer != nil {
			if n := cfg.namer(i); n != "" {
				return n
			}
		}
		return fmt.Sprintf("parallel-branch-%d", i)
	}
	parent := ctx.workflow()
	err := parent.runChild(parent.claim(), childSpec{
		kind:    kindParallel,
		name:    name,
		subType: wire.SubTypeParallel,
		body: func(batchCtx Context) (string, error) {
			outcomes, reason, err := batchCtx.workflow().runBatch(batchSpec{
				count:          len(branches),
				maxConcurrency: cfg.maxConcurrency,
				completion:     cfg.completion,
				nesting:        cfg.nesting,
				name:           branchName,
				kind:           kindParallelBranch,
				subType:        wire.SubTypeParallelBranch,
				item: func(branchCtx Context, i int) (string, error) {
					v, err := branches[i].Fn(branchCtx)
					if err != nil {
						return "", err
					}
					_, data, err := roundTrip(itemSerdes, v)
					return data, err
				},
			})
			if err != nil {
				return "", err
			}
			result, err = collect[O](outcomes, reason, itemSerdes)
			if err != nil {
				return "", err
			}
			data, err := batchSerdes.Serialize(result)
			if err != nil {
				return "", &SerdesError{Err: err}
			}
			return data, nil
		},
		replay: func(data string) error {
			v, err := decode[BatchResult[O]](batchSerdes, data)
			// The recorded result carries error objects only: rebuild the
			// failed branches' errors as the first run made them.
			for i, it := range v.Items {
				var itemErr *MapItemError
				if errors.As(it.Err, &itemErr) {
					e := itemErr.OperationError
					e.Kind, e.Name = kindParallelBranch, branchName(it.Index)
					v.Items[i].Err = &ParallelBranchError{e}
				}
			}
			result = v
			return err
		},
	})
	return result, err
}

// collect builds a BatchResult from the engine's outcomes.
func collect[O any](outcomes []itemOutcome, reason CompletionReason, serdes Serdes) (BatchResult[O], error) {
	result := BatchResult[O]{CompletionReason: reason, Items: make([]BatchItem[O], 0, len(outcomes))}
	for _, oc := range outcomes {
		item := BatchItem[O]{Index: oc.index, Status: oc.status, Err: oc.err}
		if oc.status == ItemSucceeded {
			v, err := decode[O](serdes, oc.data)
			if err != nil {
				return result, err
			}
			item.Result = v
		}
		result.Items = append(result.Items, item)
	}
	return result, nil
}

package durable

import (
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
	branchName := func(i int) string {
		if n := branches[i].Name; n != "" {
			return n
		}
		return cfg.itemName(i, "parallel-branch")
	}
	return runBatchOperation(ctx, batchOperation[O]{
		kind:        kindParallel,
		name:        name,
		subType:     wire.SubTypeParallel,
		cfg:         cfg,
		count:       len(branches),
		itemName:    branchName,
		itemKind:    kindParallelBranch,
		itemSubType: wire.SubTypeParallelBranch,
		run: func(branchCtx Context, i int) (O, error) {
			return branches[i].Fn(branchCtx)
		},
		// The recorded result carries error objects only: rebuild the
		// failed branches' errors as the first run made them.
		replayedItemErr: func(index int, itemErr *MapItemError) error {
			e := itemErr.OperationError
			e.Kind, e.Name = kindParallelBranch, branchName(index)
			return &ParallelBranchError{e}
		},
	})
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

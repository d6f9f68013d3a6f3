package durable

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// CompletionReason says why a Map stopped.
type CompletionReason string

// Completion reasons, as recorded in the batch result.
const (
	AllCompleted             CompletionReason = "ALL_COMPLETED"
	MinSuccessfulReached     CompletionReason = "MIN_SUCCESSFUL_REACHED"
	FailureToleranceExceeded CompletionReason = "FAILURE_TOLERANCE_EXCEEDED"
)

// ItemStatus is the outcome of one Map item.
type ItemStatus string

// Item statuses. An item still running when the batch completed early is
// Started; items never started are not in the result.
const (
	ItemSucceeded ItemStatus = "SUCCEEDED"
	ItemFailed    ItemStatus = "FAILED"
	ItemStarted   ItemStatus = "STARTED"
)

// BatchItem is one item's outcome.
type BatchItem[O any] struct {
	Index  int
	Status ItemStatus
	Result O
	// Err is a *MapItemError (from Map) or a *ParallelBranchError (from
	// Parallel), both *OperationError, when Status is ItemFailed.
	Err error
}

// BatchResult is what Map and Parallel return: one entry per started item
// or branch, in index order, and the reason the batch completed.
type BatchResult[O any] struct {
	Items            []BatchItem[O]
	CompletionReason CompletionReason
}

// Results returns the results of the items that succeeded, in index order.
func (r BatchResult[O]) Results() []O {
	out := make([]O, 0, len(r.Items))
	for _, it := range r.Items {
		if it.Status == ItemSucceeded {
			out = append(out, it.Result)
		}
	}
	return out
}

// Succeeded returns the items that succeeded, in index order.
func (r BatchResult[O]) Succeeded() []BatchItem[O] { return r.with(ItemSucceeded) }

// Failed returns the items that failed, in index order.
func (r BatchResult[O]) Failed() []BatchItem[O] { return r.with(ItemFailed) }

// Errors returns the errors of the failed items, in index order.
func (r BatchResult[O]) Errors() []error {
	failed := r.Failed()
	out := make([]error, len(failed))
	for i, it := range failed {
		out[i] = it.Err
	}
	return out
}

// HasFailure reports whether any item failed.
func (r BatchResult[O]) HasFailure() bool { return r.FailureCount() > 0 }

func (r BatchResult[O]) with(s ItemStatus) []BatchItem[O] {
	var out []BatchItem[O]
	for _, it := range r.Items {
		if it.Status == s {
			out = append(out, it)
		}
	}
	return out
}

// SuccessCount counts succeeded items.
func (r BatchResult[O]) SuccessCount() int { return r.count(ItemSucceeded) }

// FailureCount counts failed items.
func (r BatchResult[O]) FailureCount() int { return r.count(ItemFailed) }

// TotalCount counts started items.
func (r BatchResult[O]) TotalCount() int { return len(r.Items) }

func (r BatchResult[O]) count(s ItemStatus) int {
	n := 0
	for _, it := range r.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// Status is FAILED when any item failed, SUCCEEDED otherwise.
func (r BatchResult[O]) Status() string {
	if r.FailureCount() > 0 {
		return string(wire.StatusFailed)
	}
	return string(wire.StatusSucceeded)
}

// Err returns the first failed item's error, or nil.
func (r BatchResult[O]) Err() error {
	for _, it := range r.Items {
		if it.Status == ItemFailed {
			return it.Err
		}
	}
	return nil
}

// batchJSON is the cross-SDK checkpoint format of a batch result.
type batchJSON struct {
	All              []batchItemJSON  `json:"all"`
	CompletionReason CompletionReason `json:"completionReason"`
}

type batchItemJSON struct {
	Result json.RawMessage   `json:"result,omitempty"`
	Error  *wire.ErrorObject `json:"error,omitempty"`
	Index  int               `json:"index"`
	Status ItemStatus        `json:"status"`
}

// MarshalJSON writes the cross-SDK format
// {"all":[{"result":…,"index":0,"status":"SUCCEEDED"},…],"completionReason":…}.
func (r BatchResult[O]) MarshalJSON() ([]byte, error) {
	out := batchJSON{All: make([]batchItemJSON, 0, len(r.Items)), CompletionReason: r.CompletionReason}
	for _, it := range r.Items {
		item := batchItemJSON{Index: it.Index, Status: it.Status}
		switch it.Status {
		case ItemSucceeded:
			raw, err := json.Marshal(it.Result)
			if err != nil {
				return nil, fmt.Errorf("encode result of item %d: %w", it.Index, err)
			}
			item.Result = raw
		case ItemFailed:
			item.Error = errorObject(it.Err)
		}
		out.All = append(out.All, item)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the format MarshalJSON writes.
func (r *BatchResult[O]) UnmarshalJSON(data []byte) error {
	var in batchJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	r.CompletionReason = in.CompletionReason
	r.Items = make([]BatchItem[O], 0, len(in.All))
	for _, it := range in.All {
		item := BatchItem[O]{Index: it.Index, Status: it.Status}
		switch it.Status {
		case ItemSucceeded:
			if len(it.Result) > 0 {
				if err := json.Unmarshal(it.Result, &item.Result); err != nil {
					return fmt.Errorf("decode result of item %d: %w", it.Index, err)
				}
			}
		case ItemFailed:
			item.Err = operationError(kindMapItem, "", it.Error)
		}
		r.Items = append(r.Items, item)
	}
	return nil
}

// Nesting says how Map records its items.
type Nesting int

const (
	// NestingNested records each item as a CONTEXT operation of its own
	// (the default).
	NestingNested Nesting = iota
	// NestingFlat records no operation per item: the items' inner
	// operations belong directly to the Map. Fewer checkpoints, but an item
	// body re-runs on every replay until the Map has finished.
	NestingFlat
)

// CompletionConfig decides when a Map stops. Nil fields are unset. With no
// field set, every item runs and failures are only reported in the result.
type CompletionConfig struct {
	// MinSuccessful completes the batch once this many items succeeded.
	MinSuccessful *int
	// ToleratedFailureCount stops the batch once more items failed.
	ToleratedFailureCount *int
	// ToleratedFailurePercentage stops the batch once more than this
	// percentage of all items failed.
	ToleratedFailurePercentage *float64
}

// MapOption configures Map.
type MapOption func(*mapConfig)

type mapConfig struct {
	maxConcurrency int
	maxSet         bool
	completion     CompletionConfig
	namer          func(index int) string
	itemSerdes     Serdes
	batchSerdes    Serdes
	nesting        Nesting
}

// WithMaxConcurrency limits how many items run at once (default: no limit).
func WithMaxConcurrency(n int) MapOption {
	return func(c *mapConfig) { c.maxConcurrency, c.maxSet = n, true }
}

// WithCompletion sets the completion policy.
func WithCompletion(cc CompletionConfig) MapOption { return func(c *mapConfig) { c.completion = cc } }

// itemName is item i's operation name: WithItemNamer's, else
// "<prefix>-<i>".
func (c mapConfig) itemName(i int, prefix string) string {
	if c.namer != nil {
		if n := c.namer(i); n != "" {
			return n
		}
	}
	return fmt.Sprintf("%s-%d", prefix, i)
}

// WithItemNamer names item i's operation (default "map-item-<i>").
func WithItemNamer(f func(index int) string) MapOption { return func(c *mapConfig) { c.namer = f } }

// WithItemSerdes sets how each item's result is checkpointed (default JSON).
func WithItemSerdes(s Serdes) MapOption { return func(c *mapConfig) { c.itemSerdes = s } }

// WithBatchSerdes sets how the whole BatchResult is checkpointed (default
// JSON in the cross-SDK format).
func WithBatchSerdes(s Serdes) MapOption { return func(c *mapConfig) { c.batchSerdes = s } }

// WithNesting chooses how items are recorded.
func WithNesting(n Nesting) MapOption { return func(c *mapConfig) { c.nesting = n } }

// Map runs fn for every item, each in a child context of its own, with at
// most WithMaxConcurrency items at once, and records the batch as one
// CONTEXT operation. Items start in index order. Item failures do not make
// Map fail: they are reported in the BatchResult (see Err), each as a
// *MapItemError. Map returns an error only when it cannot run (bad options,
// suspension, checkpoint failures) or when the Map itself failed, as a
// *MapError.
func Map[I, O any](ctx Context, name string, items []I, fn func(ctx Context, item I, index int) (O, error), opts ...MapOption) (BatchResult[O], error) {
	cfg := mapConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	var result BatchResult[O]
	if cfg.maxConcurrency < 0 {
		return result, fmt.Errorf("durable: map %q: max concurrency must be at least 1, got %d", name, cfg.maxConcurrency)
	}
	if err := cfg.completion.validate(); err != nil {
		return result, fmt.Errorf("durable: map %q: %w", name, err)
	}
	itemName := func(i int) string { return cfg.itemName(i, "map-item") }
	return runBatchOperation(ctx, batchOperation[O]{
		kind:        kindMap,
		name:        name,
		subType:     wire.SubTypeMap,
		cfg:         cfg,
		count:       len(items),
		itemName:    itemName,
		itemKind:    kindMapItem,
		itemSubType: wire.SubTypeMapIteration,
		run: func(itemCtx Context, i int) (O, error) {
			return fn(itemCtx, items[i], i)
		},
		// The recorded result does not carry item names: name the failed
		// items' errors as the first run did.
		replayedItemErr: func(index int, itemErr *MapItemError) error {
			if itemErr.Name == "" {
				itemErr.Name = itemName(index)
			}
			return itemErr
		},
	})
}

// batchOperation describes a Map or a Parallel for runBatchOperation: the
// CONTEXT operation that records the whole batch, and its items.
type batchOperation[O any] struct {
	kind     string // kindMap or kindParallel
	name     string
	subType  string // of the batch's CONTEXT
	cfg      mapConfig
	count    int
	itemName func(int) string
	itemKind string // kindMapItem or kindParallelBranch
	// itemSubType is the subtype of each item's CONTEXT.
	itemSubType string
	run         func(ctx Context, i int) (O, error)
	// replayedItemErr rebuilds a failed item's error, read back from the
	// recorded BatchResult as a *MapItemError, as the first run made it.
	replayedItemErr func(index int, itemErr *MapItemError) error
}

// runBatchOperation runs or replays a batch as one CONTEXT operation whose
// items each run in a child context of their own, and returns its
// BatchResult. The options were validated by the caller.
func runBatchOperation[O any](ctx Context, op batchOperation[O]) (BatchResult[O], error) {
	var result BatchResult[O]
	itemSerdes := serdesOr(op.cfg.itemSerdes)
	batchSerdes := serdesOr(op.cfg.batchSerdes)
	parent := ctx.workflow()
	err := parent.runChild(parent.claim(), childSpec{
		kind:    op.kind,
		name:    op.name,
		subType: op.subType,
		body: func(batchCtx Context) (string, error) {
			outcomes, reason, err := batchCtx.workflow().runBatch(batchSpec{
				count:          op.count,
				maxConcurrency: op.cfg.maxConcurrency,
				completion:     op.cfg.completion,
				nesting:        op.cfg.nesting,
				name:           op.itemName,
				kind:           op.itemKind,
				subType:        op.itemSubType,
				item: func(itemCtx Context, i int) (string, error) {
					v, err := op.run(itemCtx, i)
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
			for i, it := range v.Items {
				var itemErr *MapItemError
				if errors.As(it.Err, &itemErr) {
					v.Items[i].Err = op.replayedItemErr(it.Index, itemErr)
				}
			}
			result = v
			return err
		},
	})
	return result, err
}

func (c CompletionConfig) validate() error {
	switch {
	case c.MinSuccessful != nil && *c.MinSuccessful < 1:
		return errors.New("CompletionConfig.MinSuccessful must be at least 1")
	case c.ToleratedFailureCount != nil && *c.ToleratedFailureCount < 0:
		return errors.New("CompletionConfig.ToleratedFailureCount must not be negative")
	case c.ToleratedFailurePercentage != nil && (*c.ToleratedFailurePercentage < 0 || *c.ToleratedFailurePercentage > 100):
		return errors.New("CompletionConfig.ToleratedFailurePercentage must be between 0 and 100")
	}
	return nil
}

// batchSpec describes the items of a Map or the branches of a Parallel
// for the engine.
type batchSpec struct {
	count          int
	maxConcurrency int
	completion     CompletionConfig
	nesting        Nesting
	name           func(int) string
	kind           string // kindMapItem or kindParallelBranch
	subType        string // of each item's CONTEXT
	item           func(Context, int) (string, error)
}

// itemOutcome is one item's serialized outcome.
type itemOutcome struct {
	index  int
	status ItemStatus
	data   string
	err    error
}

// runBatch runs a Map's items (or a Parallel's branches) inside the
// batch's own scope s: each item gets
// the next positional id in index order, runs in a goroutine of its own,
// and the completion policy is checked after each item ends (§5.7).
func (s *scope) runBatch(spec batchSpec) ([]itemOutcome, CompletionReason, error) {
	coord := s.inv.coord
	results := make(chan itemOutcome, spec.count)
	var (
		mu        sync.Mutex // guards closed against item goroutines
		closed    bool
		abandoned = &atomic.Bool{}
		outcomes  = make([]itemOutcome, 0, spec.count)
		running   = map[int]bool{}
		succeeded int
		failedN   int
		reason    CompletionReason
		abort     error
		next      int
	)
	start := func(i int) {
		id := s.claim()
		itemScope := *s
		itemScope.abandoned = abandoned
		running[i] = true
		coord.enter()
		go func() {
			oc := itemOutcome{index: i}
			var data string
			var err error
			if spec.nesting == NestingFlat {
				data, err = spec.item(itemScope.child(id, "", itemScope.innerMode(id)), i)
				if err != nil && !isControl(err) {
					err = operationError(spec.kind, spec.name(i), errorObject(err))
				}
			} else {
				err = itemScope.runChild(id, childSpec{
					kind:    spec.kind,
					name:    spec.name(i),
					subType: spec.subType,
					body: func(c Context) (string, error) {
						d, err := spec.item(c, i)
						data = d
						return d, err
					},
					replay: func(d string) error { data = d; return nil },
				})
			}
			switch {
			case err == nil:
				oc.status, oc.data = ItemSucceeded, data
			case isControl(err):
				oc.err = err
			default:
				oc.status, oc.err = ItemFailed, err
			}
			mu.Lock()
			if !closed {
				coord.enter() // handed to the waiting batch goroutine
				results <- oc
			}
			mu.Unlock()
			coord.leave()
		}()
	}
	stopped := false
	for {
		for !stopped && abort == nil && next < spec.count && (spec.maxConcurrency == 0 || len(running) < spec.maxConcurrency) {
			if err := s.usable(); err != nil {
				abort = err
				break
			}
			start(next)
			next++
		}
		if len(running) == 0 {
			break
		}
		coord.leave()
		oc := <-results
		delete(running, oc.index)
		if oc.err != nil && oc.status == "" {
			if abort == nil {
				abort = oc.err
			}
			continue
		}
		outcomes = append(outcomes, oc)
		if oc.status == ItemSucceeded {
			succeeded++
		} else {
			failedN++
		}
		if r, stop := spec.completion.decide(succeeded, failedN, spec.count); stop {
			reason, stopped = r, true
			if len(running) > 0 {
				break
			}
		}
	}
	mu.Lock()
	closed = true
	for len(results) > 0 {
		<-results
		coord.leave()
	}
	mu.Unlock()
	if abort != nil {
		return nil, "", abort
	}
	abandoned.Store(len(running) > 0)
	for i := range running {
		outcomes = append(outcomes, itemOutcome{index: i, status: ItemStarted})
	}
	if reason == "" {
		reason = AllCompleted
	}
	slices.SortFunc(outcomes, func(a, b itemOutcome) int { return a.index - b.index })
	return outcomes, reason, nil
}

// decide applies the completion policy after an item ended.
func (c CompletionConfig) decide(succeeded, failed, total int) (CompletionReason, bool) {
	switch {
	case c.ToleratedFailureCount != nil && failed > *c.ToleratedFailureCount:
		return FailureToleranceExceeded, true
	case c.ToleratedFailurePercentage != nil && total > 0 && float64(failed)*100/float64(total) > *c.ToleratedFailurePercentage:
		return FailureToleranceExceeded, true
	case succeeded+failed == total:
		return AllCompleted, true
	case c.MinSuccessful != nil && succeeded >= *c.MinSuccessful:
		return MinSuccessfulReached, true
	}
	return "", false
}

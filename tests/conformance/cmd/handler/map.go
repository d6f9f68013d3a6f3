package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// sequential runs one item at a time, so histories are deterministic.
var sequential = durable.WithMaxConcurrency(1)

func ptr[T any](v T) *T { return &v }

// itemNames returns n placeholder items "i0", "i1", ….
func itemNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("i%d", i)
	}
	return out
}

// failItems returns a map function that fails for the given indexes and
// returns "ok" for the others.
func failItems(failing ...int) func(durable.Context, string, int) (string, error) {
	return func(_ durable.Context, item string, index int) (string, error) {
		for _, f := range failing {
			if f == index {
				return "", fmt.Errorf("item %d (%s) failed on purpose", index, item)
			}
		}
		return "ok", nil
	}
}

func upper(_ durable.Context, item string, _ int) (string, error) { return strings.ToUpper(item), nil }

// batchSummary is the projection of a BatchResult the fixtures compare;
// absent fields are left out.
type batchSummary struct {
	CompletionReason durable.CompletionReason `json:"completionReason,omitempty"`
	Status           string                   `json:"status,omitempty"`
	SuccessCount     *int                     `json:"successCount,omitempty"`
	FailureCount     *int                     `json:"failureCount,omitempty"`
	TotalCount       *int                     `json:"totalCount,omitempty"`
}

// summarize projects r onto the named fields.
func summarize[O any](r durable.BatchResult[O], fields ...string) batchSummary {
	var s batchSummary
	for _, f := range fields {
		switch f {
		case "completionReason":
			s.CompletionReason = r.CompletionReason
		case "status":
			s.Status = r.Status()
		case "successCount":
			s.SuccessCount = ptr(r.SuccessCount())
		case "failureCount":
			s.FailureCount = ptr(r.FailureCount())
		case "totalCount":
			s.TotalCount = ptr(r.TotalCount())
		default:
			panic("summarize: unknown field " + f)
		}
	}
	return s
}

var allFields = []string{"completionReason", "status", "successCount", "failureCount", "totalCount"}

// largeItemBytes makes four item results exceed the 256 KiB a CONTEXT
// result may carry inline.
const largeItemBytes = 70 * 1024

var mapCases = map[string]caseHandler{
	// 9-1: one step per item.
	"9-1": handle(func(ctx durable.Context, ev event[[]string]) ([]string, error) {
		r, err := durable.Map(ctx, "map", ev.Input, func(c durable.Context, item string, _ int) (string, error) {
			return durable.Step(c, "", func(durable.StepContext) (string, error) { return "Hello, " + item + "!", nil })
		}, sequential)
		return r.Results(), err
	}),
	// 9-2: no name; items return directly.
	"9-2": handle(func(ctx durable.Context, ev event[[]int]) ([]int, error) {
		r, err := durable.Map(ctx, "", ev.Input, func(_ durable.Context, item int, _ int) (int, error) { return item * 2, nil }, sequential)
		return r.Results(), err
	}),
	// 9-3: the function sees the item and its index.
	"9-3": handle(func(ctx durable.Context, ev event[[]int]) ([]int, error) {
		r, err := durable.Map(ctx, "indexed", ev.Input, func(_ durable.Context, item int, index int) (int, error) { return item + index, nil }, sequential)
		return r.Results(), err
	}),
	// 9-4: no items.
	"9-4": handle(func(ctx durable.Context, ev event[[]int]) ([]int, error) {
		r, err := durable.Map(ctx, "empty", ev.Input, func(_ durable.Context, item int, _ int) (int, error) { return item, nil })
		return r.Results(), err
	}),
	// 9-5: fail-fast stops after the first failure.
	"9-5": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "failfast", itemNames(3), failItems(1), sequential,
			durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(0)}))
		return summarize(r, allFields...), err
	}),
	// 9-6: the batch's first failure is rethrown and fails the execution.
	"9-6": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "throwing", itemNames(2), failItems(0), sequential,
			durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(0)}))
		if err != nil {
			return nil, err
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the failing item succeeded")
	}),
	// 9-7: completes once two items succeeded.
	"9-7": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "min-successful", itemNames(4), failItems(), sequential,
			durable.WithCompletion(durable.CompletionConfig{MinSuccessful: ptr(2)}))
		return summarize(r, "completionReason", "successCount", "totalCount"), err
	}),
	// 9-8: one tolerated failure; every item runs.
	"9-8": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "tolerated", itemNames(3), failItems(1), sequential,
			durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(1)}))
		return summarize(r, allFields...), err
	}),
	// 9-9: the second failure exceeds the tolerated count.
	"9-9": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "tolerated-exceeded", itemNames(3), failItems(0, 1), sequential,
			durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(1)}))
		return summarize(r, "completionReason", "successCount", "failureCount", "totalCount"), err
	}),
	// 9-10: 2 of 4 failed is more than the tolerated 25 %.
	"9-10": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "tolerated-pct", itemNames(4), failItems(0, 1), sequential,
			durable.WithCompletion(durable.CompletionConfig{ToleratedFailurePercentage: ptr(25.0)}))
		return summarize(r, "completionReason", "successCount", "failureCount", "totalCount"), err
	}),
	// 9-11: two at a time; results still come in index order.
	"9-11": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "concurrent", itemNames(3), func(_ durable.Context, _ string, index int) (string, error) {
			return fmt.Sprintf("r%d", index), nil
		}, durable.WithMaxConcurrency(2))
		return r.Results(), err
	}),
	// 9-12: flat nesting; the steps belong directly to the map.
	"9-12": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "flat", []string{"fa", "fb"}, func(c durable.Context, item string, _ int) (string, error) {
			return echoStep(c, item)
		}, sequential, durable.WithNesting(durable.NestingFlat))
		return r.Results(), err
	}),
	// 9-13: items named from their value.
	"9-13": handle(func(ctx durable.Context, ev event[[]int]) ([]int, error) {
		items := ev.Input
		r, err := durable.Map(ctx, "named-items", items, func(_ durable.Context, item int, _ int) (int, error) { return item * 10, nil },
			sequential, durable.WithItemNamer(func(i int) string { return fmt.Sprintf("item-%d", items[i]) }))
		return r.Results(), err
	}),
	// 9-14: each item's result goes through a custom serdes.
	"9-14": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "serdes", []string{"x", "y"}, upper, sequential, durable.WithItemSerdes(wrappedSerdes{}))
		return r.Results(), err
	}),
	// 9-15: the second item waits, suspending the execution mid-map.
	"9-15": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "suspend", []string{"r0", "r1"}, func(c durable.Context, item string, index int) (string, error) {
			if index == 1 {
				if err := durable.Wait(c, "", time.Second); err != nil {
					return "", err
				}
			}
			return echoStep(c, item)
		}, sequential)
		return r.Results(), err
	}),
	// 9-16: four ~70 KiB results; the map is recorded with ReplayChildren.
	"9-16": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "large", itemNames(4), func(_ durable.Context, item string, _ int) (string, error) {
			return strings.Repeat(item, largeItemBytes/len(item)), nil
		}, sequential)
		return summarize(r, "successCount", "totalCount"), err
	}),
	// 9-17: a wait after a successful map; replay skips the map.
	"9-17": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "then-wait", []string{"a", "b"}, upper, sequential)
		if err != nil {
			return nil, err
		}
		return r.Results(), durable.Wait(ctx, "", time.Second)
	}),
	// 9-18: a wait after a map with a tolerated failure.
	"9-18": handle(func(ctx durable.Context, _ event[any]) (batchSummary, error) {
		r, err := durable.Map(ctx, "fail-then-wait", []string{"ok", "fail"}, func(_ durable.Context, item string, _ int) (string, error) {
			if item == "fail" {
				return "", errors.New("item fail failed on purpose")
			}
			return item, nil
		}, sequential, durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: ptr(1)}))
		if err != nil {
			return batchSummary{}, err
		}
		return summarize(r, allFields...), durable.Wait(ctx, "", time.Second)
	}),
	// 9-19: the whole result goes through a custom serdes.
	"9-19": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "op-serde", []string{"x", "y"}, upper, sequential, durable.WithBatchSerdes(opSerdes{}))
		return r.Results(), err
	}),
	// 9-20: the same, read back through the serdes on replay.
	"9-20": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		r, err := durable.Map(ctx, "op-serde-replay", []string{"x", "y"}, upper, sequential, durable.WithBatchSerdes(opSerdes{}))
		if err != nil {
			return nil, err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return nil, err
		}
		return r.Results(), nil
	}),
}

// Command replay is the durable function of durabletest's process-level
// replay benchmark: its input is a count n; it runs n steps, each returning
// its index, waits one second, and returns n. An invocation after the wait
// replays the n completed steps and returns.
package main

import (
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

func handler(ctx durable.Context, n int) (int, error) {
	for i := range n {
		if _, err := durable.Step(ctx, "step", func(durable.StepContext) (int, error) { return i, nil }); err != nil {
			return 0, err
		}
	}
	if err := durable.Wait(ctx, "pause", time.Second); err != nil {
		return 0, err
	}
	return n, nil
}

func main() { durable.Start(handler) }

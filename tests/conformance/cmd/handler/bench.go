package main

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// benchReplay returns the bench-replay-<n> handler: n steps, each returning
// its index, then a one-second wait, then n. The first invocation runs and
// checkpoints the n steps and suspends at the wait; the second replays the
// n recorded steps, finds the wait finished and returns. The second
// invocation's duration is the cost of replaying n completed operations.
func benchReplay(n int) durable.Handler[any, int] {
	return func(ctx durable.Context, _ any) (int, error) {
		for i := range n {
			got, err := durable.Step(ctx, "", func(durable.StepContext) (int, error) { return i, nil })
			if err != nil {
				return 0, err
			}
			if got != i {
				return 0, &replayMismatch{want: i, got: got}
			}
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return 0, err
		}
		return n, nil
	}
}

// replayMismatch reports a step whose replayed result is not its index.
type replayMismatch struct{ want, got int }

// Error says which step replayed wrongly.
func (e *replayMismatch) Error() string {
	return fmt.Sprintf("bench-replay: step %d replayed the result %d", e.want, e.got)
}

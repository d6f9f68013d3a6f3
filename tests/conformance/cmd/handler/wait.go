package main

import (
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// waitFor returns a handler that waits d under name and returns nothing.
func waitFor(name string, d time.Duration) caseHandler {
	return handle(func(ctx durable.Context, _ event[any]) (any, error) {
		return nil, durable.Wait(ctx, name, d)
	})
}

type waitCount struct {
	CompletedWaits int `json:"completedWaits"`
}

var waitCases = map[string]caseHandler{
	// 2-1: one two-second wait.
	"2-1": waitFor("", 2*time.Second),
	// 2-2: the same with a name.
	"2-2": waitFor("custom_wait_name", 2*time.Second),
	// 2-3: two named waits, each a suspension of its own.
	"2-3": handle(func(ctx durable.Context, _ event[any]) (waitCount, error) {
		var out waitCount
		for _, name := range []string{"wait-1", "wait-2"} {
			if err := durable.Wait(ctx, name, 2*time.Second); err != nil {
				return out, err
			}
			out.CompletedWaits++
		}
		return out, nil
	}),
	// 2-4: a minute, recorded as 60 seconds.
	"2-4": waitFor("", time.Minute),
	// 2-5: an hour, recorded as 3600 seconds.
	"2-5": waitFor("", time.Hour),
}

package main

import (
	"errors"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// pollEvery returns a wait strategy that checks again after delay until
// done reports true.
func pollEvery[S any](delay time.Duration, done func(S) bool) durable.WaitStrategy[S] {
	return durable.WaitPolicy[S]{Done: done, InitialDelay: delay, BackoffRate: 1, Jitter: durable.JitterNone}.Strategy()
}

func increment(_ durable.StepContext, n int) (int, error) { return n + 1, nil }

func atLeast(threshold int) func(int) bool { return func(n int) bool { return n >= threshold } }

// countTo polls an incrementing counter from initial until it reaches
// threshold.
func countTo(ctx durable.Context, name string, initial, threshold int, delay time.Duration) (int, error) {
	return durable.WaitForCondition(ctx, name, increment, durable.ConditionConfig[int]{
		InitialState: initial,
		WaitStrategy: pollEvery(delay, atLeast(threshold)),
	})
}

type jobState struct {
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
}

var conditionCases = map[string]caseHandler{
	// 6-1: count from 0 to the input threshold.
	"6-1": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		return countTo(ctx, "", 0, ev.Input, time.Second)
	}),
	// 6-2: the initial state 5 already meets the condition.
	"6-2": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		return durable.WaitForCondition(ctx, "", func(_ durable.StepContext, n int) (int, error) { return n, nil },
			durable.ConditionConfig[int]{InitialState: 5, WaitStrategy: pollEvery(time.Second, atLeast(ev.Input))})
	}),
	// 6-3: a named poll.
	"6-3": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		return countTo(ctx, "poll-status", 0, ev.Input, time.Second)
	}),
	// 6-4: the initial state 5 seeds the first check.
	"6-4": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		return countTo(ctx, "", 5, ev.Input, time.Second)
	}),
	// 6-5: a fixed two-second delay between checks.
	"6-5": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		return countTo(ctx, "", 0, ev.Input, 2*time.Second)
	}),
	// 6-6: the condition is never met; the third check exhausts the policy.
	"6-6": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		policy := durable.WaitPolicy[int]{
			Done:         func(int) bool { return false },
			MaxAttempts:  3,
			InitialDelay: time.Second,
			BackoffRate:  1,
			Jitter:       durable.JitterNone,
		}
		return durable.WaitForCondition(ctx, "", increment, durable.ConditionConfig[int]{InitialState: ev.Input, WaitStrategy: policy.Strategy()})
	}),
	// 6-7: the first check fails; the error fails the execution.
	"6-7": handle(func(ctx durable.Context, _ event[any]) (int, error) {
		return durable.WaitForCondition(ctx, "", func(durable.StepContext, int) (int, error) {
			return 0, errors.New("status service unavailable")
		}, durable.ConditionConfig[int]{WaitStrategy: pollEvery(time.Second, atLeast(1))})
	}),
	// 6-8: the same failure, caught by the handler.
	"6-8": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		_, err := durable.WaitForCondition(ctx, "", func(durable.StepContext, int) (int, error) {
			return 0, errors.New("status service unavailable")
		}, durable.ConditionConfig[int]{WaitStrategy: pollEvery(time.Second, atLeast(1))})
		if err == nil {
			return "", errors.New("the failing check succeeded")
		}
		if !caught(err) {
			return "", err
		}
		return "recovered", nil
	}),
	// 6-9: an object state threaded through the checks.
	"6-9": handle(func(ctx durable.Context, _ event[any]) (jobState, error) {
		check := func(_ durable.StepContext, s jobState) (jobState, error) {
			s.Attempts++
			if s.Attempts >= 2 {
				s.Status = "DONE"
			}
			return s, nil
		}
		return durable.WaitForCondition(ctx, "", check, durable.ConditionConfig[jobState]{
			InitialState: jobState{Status: "PENDING"},
			WaitStrategy: pollEvery(time.Second, func(s jobState) bool { return s.Status != "PENDING" }),
		})
	}),
	// 6-10: the check returns null and the strategy stops at once.
	"6-10": handle(func(ctx durable.Context, _ event[any]) (any, error) {
		return durable.WaitForCondition(ctx, "", func(durable.StepContext, any) (any, error) { return nil, nil },
			durable.ConditionConfig[any]{WaitStrategy: func(any, int) (durable.WaitDecision, error) { return durable.WaitDecision{}, nil }})
	}),
	// 6-11: the string state is checkpointed through a base64 serdes.
	"6-11": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.WaitForCondition(ctx, "", func(_ durable.StepContext, s string) (string, error) { return s + "x", nil },
			durable.ConditionConfig[string]{
				WaitStrategy: pollEvery(time.Second, func(s string) bool { return len(s) >= 2 }),
				Serdes:       base64Serdes{},
			})
	}),
	// 6-12: the polled result feeds a step.
	"6-12": handle(func(ctx durable.Context, ev event[int]) (int, error) {
		n, err := countTo(ctx, "", 0, ev.Input, time.Second)
		if err != nil {
			return 0, err
		}
		return durable.Step(ctx, "", func(durable.StepContext) (int, error) { return n * 10, nil })
	}),
	// 6-13: two polls in a row; the first result seeds the second.
	"6-13": handle(func(ctx durable.Context, _ event[any]) (int, error) {
		n, err := countTo(ctx, "", 0, 2, time.Second)
		if err != nil {
			return 0, err
		}
		return countTo(ctx, "", n, 4, time.Second)
	}),
}

package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// TransientError is the custom error type of 1-15 and 1-16; it is recorded
// with ErrorType "TransientError".
type TransientError struct{ Msg string }

// Error returns the message.
func (e *TransientError) Error() string { return e.Msg }

func isTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// fixedRetry retries up to maxAttempts attempts in all, one second apart.
func fixedRetry(maxAttempts int) durable.RetryStrategy {
	return durable.RetryPolicy{MaxAttempts: maxAttempts, InitialDelay: time.Second, BackoffRate: 1, Jitter: durable.JitterNone}.Strategy()
}

// failUntil returns a step body that fails its first n attempts and then
// returns result.
func failUntil[O any](n int, result O) func(durable.StepContext) (O, error) {
	return func(sc durable.StepContext) (O, error) {
		if sc.Attempt() <= n {
			var zero O
			return zero, fmt.Errorf("attempt %d fails on purpose", sc.Attempt())
		}
		return result, nil
	}
}

type profileInput struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type profile struct {
	User  profileInput `json:"user"`
	Count int          `json:"count"`
}

var stepCases = map[string]caseHandler{
	// 1-1: one step returning a greeting.
	"1-1": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) {
			return "Hello, " + ev.Input + "!", nil
		})
	}),
	// 1-2: the same with an explicit name.
	"1-2": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.Step(ctx, "custom_step_name", func(durable.StepContext) (string, error) {
			return "Hello, " + ev.Input + "!", nil
		})
	}),
	// 1-3: the second step uses the first one's result.
	"1-3": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		first, err := durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "first", nil })
		if err != nil {
			return "", err
		}
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) { return first + "_second", nil })
	}),
	// 1-4: a nested object with a list and a number.
	"1-4": handle(func(ctx durable.Context, ev event[profileInput]) (profile, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (profile, error) {
			return profile{User: ev.Input, Count: len(ev.Input.Tags)}, nil
		})
	}),
	// 1-5: a step returning null.
	"1-5": handle(func(ctx durable.Context, _ event[any]) (any, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (any, error) { return nil, nil })
	}),
	// 1-6: a custom serdes that upper-cases strings when it serializes.
	"1-6": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) {
			return ev.Input, nil
		}, durable.WithStepSerdes(upperSerdes{}))
	}),
	// 1-7: the step logs through its step context logger.
	"1-7": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			sc.Logger().Info("Greeting step started for: " + ev.Input)
			greeting := "Hello, " + ev.Input + "!"
			sc.Logger().Info("Greeting step completed with: " + greeting)
			return greeting, nil
		})
	}),
	// 1-8: a step, then a two-second wait; replay skips the step.
	"1-8": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		v, err := durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "computed", nil })
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "", 2*time.Second); err != nil {
			return "", err
		}
		return v, nil
	}),
	// 1-9: the replayed step returns its recorded result without running.
	"1-9": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		v, err := durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			sc.Logger().Info("step executed")
			return "cached_value", nil
		})
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return "", err
		}
		return v, nil
	}),
	// 1-10: a failed step is caught; on replay the same error comes back
	// without the body running.
	"1-10": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		_, err := durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			sc.Logger().Info("step executed")
			return "", errors.New("permanent failure")
		}, durable.WithRetry(durable.NoRetry))
		if err == nil {
			return "", errors.New("the failing step succeeded")
		}
		if !caught(err) {
			return "", err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return "", err
		}
		return "caught: " + err.Error(), nil
	}),
	// 1-11: fails once, succeeds on the retry.
	"1-11": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.Step(ctx, "", failUntil(1, "Operation succeeded"), durable.WithRetry(fixedRetry(3)))
	}),
	// 1-12: always fails; four attempts in all.
	"1-12": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			return "", fmt.Errorf("attempt %d always fails", sc.Attempt())
		}, durable.WithRetry(fixedRetry(4)))
	}),
	// 1-13: the default retry strategy; fails twice, then succeeds.
	"1-13": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.Step(ctx, "", failUntil(2, "succeeded on the third attempt"))
	}),
	// 1-14: 2 s initial delay, backoff ×3, no jitter; fails twice.
	"1-14": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		policy := durable.RetryPolicy{MaxAttempts: 5, InitialDelay: 2 * time.Second, BackoffRate: 3, Jitter: durable.JitterNone}
		return durable.Step(ctx, "", failUntil(2, "succeeded on the third attempt"), durable.WithRetry(policy.Strategy()))
	}),
	// 1-15: only TransientError is retried; the first attempt throws one.
	"1-15": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		policy := durable.RetryPolicy{MaxAttempts: 3, InitialDelay: time.Second, BackoffRate: 1, Jitter: durable.JitterNone, Retryable: isTransient}
		return durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			if sc.Attempt() == 1 {
				return "", &TransientError{Msg: "temporary outage"}
			}
			return "recovered from a transient error", nil
		}, durable.WithRetry(policy.Strategy()))
	}),
	// 1-16: the strategy refuses to retry TransientError.
	"1-16": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		noRetryOnTransient := func(err error, attempt int) durable.RetryDecision {
			if isTransient(err) {
				return durable.RetryDecision{}
			}
			return fixedRetry(3)(err, attempt)
		}
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) {
			return "", &TransientError{Msg: "temporary outage, not retried"}
		}, durable.WithRetry(noRetryOnTransient))
	}),
	// 1-17: at-most-once, no retry; the step crashes the process after
	// logging. The replay must not run it again: it fails as interrupted.
	"1-17": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		arn := ctx.ExecutionArn()
		return durable.Step(ctx, "at_most_once_flaky_step", func(sc durable.StepContext) (string, error) {
			sc.Logger().Info("at-most-once step running for " + ev.Input)
			if err := crashOnce(arn); err != nil {
				return "", err
			}
			return "ran again after the crash, which at-most-once forbids", nil
		}, durable.WithSemantics(durable.AtMostOncePerRetry), durable.WithRetry(durable.NoRetry))
	}),
	// 1-18: at-most-once with retries; the first attempt crashes, the
	// interrupted attempt is retried and succeeds.
	"1-18": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		arn := ctx.ExecutionArn()
		return durable.Step(ctx, "", func(sc durable.StepContext) (string, error) {
			sc.Logger().Info(fmt.Sprintf("at-most-once step attempt %d for %s", sc.Attempt(), ev.Input))
			if err := crashOnce(arn); err != nil {
				return "", err
			}
			return "succeeded on second attempt", nil
		}, durable.WithSemantics(durable.AtMostOncePerRetry), durable.WithRetry(fixedRetry(3)))
	}),
	// 1-19: fails for good with no retry.
	"1-19": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) {
			return "", errors.New("step failed permanently")
		}, durable.WithRetry(durable.NoRetry))
	}),
	// 1-20: the failure is caught and a second step supplies a fallback.
	"1-20": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		_, err := durable.Step(ctx, "", func(durable.StepContext) (string, error) {
			return "", errors.New("primary failed")
		}, durable.WithRetry(durable.NoRetry))
		if err == nil {
			return "", errors.New("the failing step succeeded")
		}
		if !caught(err) {
			return "", err
		}
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "fallback_result", nil })
	}),
}

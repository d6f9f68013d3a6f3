package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// awaitNamed creates a callback named name with opts and returns its
// result.
func awaitNamed(ctx durable.Context, name string, opts ...durable.CallbackOption) (string, error) {
	cb, err := durable.CreateCallback[string](ctx, name, opts...)
	if err != nil {
		return "", err
	}
	return cb.Result(ctx)
}

// callbackByInput returns a handler that creates a callback named by the
// input with opts and returns its result.
func callbackByInput(opts ...durable.CallbackOption) caseHandler {
	return handle(func(ctx durable.Context, in event[string]) (string, error) {
		return awaitNamed(ctx, in.Input, opts...)
	})
}

// callbackThen returns a handler that creates a callback named by the
// input with opts, runs between (a step or a wait), then returns the
// callback's result.
func callbackThen(between func(durable.Context) error, opts ...durable.CallbackOption) caseHandler {
	return handle(func(ctx durable.Context, in event[string]) (string, error) {
		cb, err := durable.CreateCallback[string](ctx, in.Input, opts...)
		if err != nil {
			return "", err
		}
		if err := between(ctx); err != nil {
			return "", err
		}
		return cb.Result(ctx)
	})
}

func aStep(ctx durable.Context) error {
	_, err := durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "step done", nil })
	return err
}

func waitSeconds(n int) func(durable.Context) error {
	return func(ctx durable.Context) error { return durable.Wait(ctx, "", time.Duration(n)*time.Second) }
}

// callbackCaughtThenWait returns a handler whose callback error is caught
// (its message kept), then waits two seconds and returns the message or
// the result.
func callbackCaughtThenWait(opts ...durable.CallbackOption) caseHandler {
	return handle(func(ctx durable.Context, in event[string]) (string, error) {
		out, err := awaitNamed(ctx, in.Input, opts...)
		if err != nil {
			if !caught(err) {
				return "", err
			}
			out = "caught: " + err.Error()
		}
		return out, durable.Wait(ctx, "", 2*time.Second)
	})
}

// twoCallbacks returns the results of callbacks A and B (named input[0] and
// input[1]); created together, they are awaited in the given order.
func twoCallbacks(together, reverse bool) caseHandler {
	return handle(func(ctx durable.Context, in event[[2]string]) ([2]string, error) {
		var out [2]string
		if !together {
			for i, name := range in.Input {
				v, err := awaitNamed(ctx, name)
				if err != nil {
					return out, err
				}
				out[i] = v
			}
			return out, nil
		}
		var cbs [2]*durable.Callback[string]
		for i, name := range in.Input {
			cb, err := durable.CreateCallback[string](ctx, name)
			if err != nil {
				return out, err
			}
			cbs[i] = cb
		}
		order := []int{0, 1}
		if reverse {
			order = []int{1, 0}
		}
		for _, i := range order {
			v, err := cbs[i].Result(ctx)
			if err != nil {
				return out, err
			}
			out[i] = v
		}
		return out, nil
	})
}

// timestampSerdes decodes a callback result {"id","message","timestamp"}
// with an RFC 3339 timestamp into a received value with epoch seconds.
type timestampSerdes struct{}

type received struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp"`
}

func (timestampSerdes) Serialize(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func (timestampSerdes) Deserialize(data string, target any) error {
	var raw struct {
		ID        string `json:"id"`
		Message   string `json:"message"`
		Timestamp string `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		return fmt.Errorf("callback result: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, raw.Timestamp)
	if err != nil {
		return fmt.Errorf("callback result: timestamp: %w", err)
	}
	out, ok := target.(*received)
	if !ok {
		return fmt.Errorf("callback result: cannot decode into %T", target)
	}
	*out = received{ID: raw.ID, Message: raw.Message, Timestamp: at.Unix()}
	return nil
}

// numberSerdes decodes a callback result that is a JSON number.
type numberSerdes struct{}

func (numberSerdes) Serialize(v any) (string, error) { return fmt.Sprint(v), nil }

func (numberSerdes) Deserialize(data string, target any) error {
	out, ok := target.(*float64)
	if !ok {
		return fmt.Errorf("callback result: cannot decode into %T", target)
	}
	if _, err := fmt.Sscan(data, out); err != nil {
		return fmt.Errorf("callback result %q is not a number: %w", data, err)
	}
	return nil
}

var callbackCases = map[string]caseHandler{
	// 4-1: a callback named by the input.
	"4-1": callbackByInput(),
	// 4-2: a callback named "approval".
	"4-2": handle(func(ctx durable.Context, _ event[any]) (string, error) { return awaitNamed(ctx, "approval") }),
	// 4-3: a five-second timeout that fires.
	"4-3": callbackByInput(durable.WithCallbackTimeout(5 * time.Second)),
	// 4-4: a five-second heartbeat timeout that fires.
	"4-4": callbackByInput(durable.WithHeartbeatTimeout(5 * time.Second)),
	// 4-5: a ten-second heartbeat timeout kept alive by a heartbeat.
	"4-5": callbackByInput(durable.WithHeartbeatTimeout(10 * time.Second)),
	// 4-6: the external system fails the callback; not caught.
	"4-6": callbackByInput(),
	// 4-7: callback, step, then the (failed) result.
	"4-7": callbackThen(aStep),
	// 4-8: callback with a five-second timeout, step, then the result.
	"4-8": callbackThen(aStep, durable.WithCallbackTimeout(5*time.Second)),
	// 4-9: callback, a five-second wait, then the result.
	"4-9": callbackThen(waitSeconds(5)),
	// 4-10: the same, failed during the wait.
	"4-10": callbackThen(waitSeconds(5)),
	// 4-11: a three-second timeout that fires during a six-second wait.
	"4-11": callbackThen(waitSeconds(6), durable.WithCallbackTimeout(3*time.Second)),
	// 4-12: the result, then a two-second wait.
	"4-12": callbackCaughtThenWait(),
	// 4-13: a failure caught, then a two-second wait.
	"4-13": callbackCaughtThenWait(),
	// 4-14: a three-second timeout caught, then a two-second wait.
	"4-14": callbackCaughtThenWait(durable.WithCallbackTimeout(3 * time.Second)),
	// 4-15: a custom deserializer turning an RFC 3339 timestamp into epoch
	// seconds.
	"4-15": handle(func(ctx durable.Context, in event[string]) (map[string]received, error) {
		cb, err := durable.CreateCallback[received](ctx, in.Input, durable.WithCallbackSerdes(timestampSerdes{}))
		if err != nil {
			return nil, err
		}
		v, err := cb.Result(ctx)
		return map[string]received{"received": v}, err
	}),
	// 4-16: a custom deserializer for a number.
	"4-16": handle(func(ctx durable.Context, in event[string]) (map[string]float64, error) {
		cb, err := durable.CreateCallback[float64](ctx, in.Input, durable.WithCallbackSerdes(numberSerdes{}))
		if err != nil {
			return nil, err
		}
		n, err := cb.Result(ctx)
		return map[string]float64{"count": n, "doubled": 2 * n}, err
	}),
	// 4-17: A then B, each created and awaited in turn.
	"4-17": twoCallbacks(false, false),
	// 4-18: A and B created, awaited A first.
	"4-18": twoCallbacks(true, false),
	// 4-19: A and B created, awaited B first.
	"4-19": twoCallbacks(true, true),
}

// submitNothing is a submitter that hands the id nowhere.
func submitNothing(durable.StepContext, string) error { return nil }

// waitForCallback returns a handler running one WaitForCallback named by
// the input with opts; recover, when set, is returned instead of a
// callback error.
func waitForCallback(recover string, opts ...durable.CallbackOption) caseHandler {
	return handle(func(ctx durable.Context, in event[string]) (string, error) {
		v, err := durable.WaitForCallback[string](ctx, in.Input, submitNothing, opts...)
		if err != nil && recover != "" && caught(err) {
			return recover, nil
		}
		return v, err
	})
}

// errSubmit is what the submitter of 7-7 fails with on every attempt.
var errSubmit = fmt.Errorf("the submitter could not reach the external system")

var waitForCallbackCases = map[string]caseHandler{
	// 7-1: named by the input.
	"7-1": waitForCallback(""),
	// 7-2: named "approval".
	"7-2": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.WaitForCallback[string](ctx, "approval", submitNothing)
	}),
	// 7-3: no name.
	"7-3": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.WaitForCallback[string](ctx, "", submitNothing)
	}),
	// 7-4: failed by the external system; not caught.
	"7-4": waitForCallback(""),
	// 7-5: a three-second timeout; not caught.
	"7-5": waitForCallback("", durable.WithCallbackTimeout(3*time.Second)),
	// 7-6: failed by the external system; caught.
	"7-6": waitForCallback("recovered"),
	// 7-7: a submitter that always fails, two attempts one second apart.
	"7-7": handle(func(ctx durable.Context, in event[string]) (string, error) {
		return durable.WaitForCallback[string](ctx, in.Input, func(durable.StepContext, string) error { return errSubmit },
			durable.WithSubmitterRetry(durable.RetryPolicy{MaxAttempts: 2, InitialDelay: time.Second, Jitter: durable.JitterNone}.Strategy()))
	}),
	// 7-8: inside a child context named "wrapper".
	"7-8": handle(func(ctx durable.Context, in event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "wrapper", func(child durable.Context) (string, error) {
			return durable.WaitForCallback[string](child, in.Input, submitNothing)
		})
	}),
	// 7-9: "first" then "second"; returns the second result.
	"7-9": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		if _, err := durable.WaitForCallback[string](ctx, "first", submitNothing); err != nil {
			return "", err
		}
		return durable.WaitForCallback[string](ctx, "second", submitNothing)
	}),
	// 7-10: a one-second wait, a step, then the wait for callback.
	"7-10": handle(func(ctx durable.Context, in event[string]) (string, error) {
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return "", err
		}
		if err := aStep(ctx); err != nil {
			return "", err
		}
		return durable.WaitForCallback[string](ctx, in.Input, submitNothing)
	}),
	// 7-11: a JSON object result; returns its status field.
	"7-11": handle(func(ctx durable.Context, in event[string]) (string, error) {
		v, err := durable.WaitForCallback[struct {
			Status string `json:"status"`
		}](ctx, in.Input, submitNothing)
		return v.Status, err
	}),
	// 7-12: a five-second heartbeat timeout that fires.
	"7-12": waitForCallback("", durable.WithHeartbeatTimeout(5*time.Second)),
	// 7-13: a ten-second heartbeat timeout kept alive by a heartbeat.
	"7-13": waitForCallback("", durable.WithHeartbeatTimeout(10*time.Second)),
	// 7-14: a three-second timeout; caught.
	"7-14": waitForCallback("timed-out-handled", durable.WithCallbackTimeout(3*time.Second)),
	// 7-15: a success without a payload.
	"7-15": waitForCallback(""),
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/tests/conformance/external"
)

// Qualified names of the invoke suite's target functions (durable
// functions are invoked through a version).
var (
	echoTarget    = external.EchoFunction + ":" + external.Qualifier
	failTarget    = external.FailFunction + ":" + external.Qualifier
	measureTarget = external.MeasureFunction
)

// largePayloadBytes is the size of 5-7's payload, near the 1,048,576-byte
// limit of a chained invoke's input.
const largePayloadBytes = 1_000_000

// echoInput returns a handler that invokes the echo target with its input
// and returns the result.
func echoInput() caseHandler {
	return handle(func(ctx durable.Context, in event[json.RawMessage]) (json.RawMessage, error) {
		return durable.Invoke[json.RawMessage](ctx, "", echoTarget, in.Input)
	})
}

// upperResultSerdes upper-cases the raw result text it decodes (5-16).
type upperResultSerdes struct{}

func (upperResultSerdes) Serialize(v any) (string, error) { return fmt.Sprint(v), nil }

func (upperResultSerdes) Deserialize(data string, target any) error {
	p, ok := target.(*string)
	if !ok {
		return fmt.Errorf("upper result serdes: want *string, got %T", target)
	}
	*p = strings.ToUpper(data)
	return nil
}

var invokeCases = map[string]caseHandler{
	// 5-1: echo the input.
	"5-1": echoInput(),
	// 5-2: the invoke named by the input.
	"5-2": handle(func(ctx durable.Context, in event[struct {
		Name    string          `json:"name"`
		Payload json.RawMessage `json:"payload"`
	}]) (json.RawMessage, error) {
		return durable.Invoke[json.RawMessage](ctx, in.Input.Name, echoTarget, in.Input.Payload)
	}),
	// 5-3: a nested object.
	"5-3": echoInput(),
	// 5-4: null.
	"5-4": echoInput(),
	// 5-5: the target fails; not caught.
	"5-5": handle(func(ctx durable.Context, _ event[any]) (json.RawMessage, error) {
		return durable.Invoke[json.RawMessage](ctx, "", failTarget, nil)
	}),
	// 5-6: the target fails; caught.
	"5-6": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		if _, err := durable.Invoke[json.RawMessage](ctx, "", failTarget, nil); err != nil {
			if !caught(err) {
				return "", err
			}
			return "fallback", nil
		}
		return "unexpected success", nil
	}),
	// 5-7: a payload near the limit; the target returns its size.
	"5-7": handle(func(ctx durable.Context, _ event[any]) (int, error) {
		return durable.Invoke[int](ctx, "", measureTarget, strings.Repeat("x", largePayloadBytes))
	}),
	// 5-8: a tenant id.
	"5-8": handle(func(ctx durable.Context, in event[struct {
		TenantID string          `json:"tenantId"`
		Payload  json.RawMessage `json:"payload"`
	}]) (json.RawMessage, error) {
		return durable.Invoke[json.RawMessage](ctx, "", echoTarget, in.Input.Payload, durable.WithTenantID(in.Input.TenantID))
	}),
	// 5-9: an invoke, then a one-second wait.
	"5-9": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		out, err := durable.Invoke[string](ctx, "", echoTarget, "cached")
		if err != nil {
			return "", err
		}
		return out, durable.Wait(ctx, "", time.Second)
	}),
	// 5-10: a failed invoke caught, then a one-second wait.
	"5-10": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		_, err := durable.Invoke[json.RawMessage](ctx, "", failTarget, nil)
		if err == nil || !caught(err) {
			return "", fmt.Errorf("want the target's failure, got %v", err)
		}
		return err.Error(), durable.Wait(ctx, "", time.Second)
	}),
	// 5-11: a step, then an invoke with its result.
	"5-11": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		v, err := durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "from-step", nil })
		if err != nil {
			return "", err
		}
		return durable.Invoke[string](ctx, "", echoTarget, v)
	}),
	// 5-12: an invoke, then a step with its result.
	"5-12": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		v, err := durable.Invoke[string](ctx, "", echoTarget, "from-invoke")
		if err != nil {
			return "", err
		}
		return durable.Step(ctx, "", func(durable.StepContext) (string, error) { return "step saw " + v, nil })
	}),
	// 5-13: inside a child context.
	"5-13": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.RunInChildContext(ctx, "", func(child durable.Context) (string, error) {
			return durable.Invoke[string](child, "", echoTarget, "in-child")
		})
	}),
	// 5-14: two invokes of two functions, one after the other.
	"5-14": handle(func(ctx durable.Context, _ event[any]) ([]string, error) {
		first, err := durable.Invoke[string](ctx, "", echoTarget, "first")
		if err != nil {
			return nil, err
		}
		size, err := durable.Invoke[int](ctx, "", measureTarget, first)
		return []string{first, fmt.Sprint(size)}, err
	}),
	// 5-15: the payload's strings upper-cased by its serdes.
	"5-15": handle(func(ctx durable.Context, in event[json.RawMessage]) (json.RawMessage, error) {
		return durable.Invoke[json.RawMessage](ctx, "", echoTarget, in.Input, durable.WithPayloadSerdes(upperSerdes{}))
	}),
	// 5-16: the result's raw text upper-cased by its serdes.
	"5-16": handle(func(ctx durable.Context, in event[string]) (string, error) {
		return durable.Invoke[string](ctx, "", echoTarget, in.Input, durable.WithResultSerdes(upperResultSerdes{}))
	}),
}

package external

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// Functions the invoke suite's handlers call with durable.Invoke.
const (
	// EchoFunction is a durable function that returns its input, from a
	// step.
	EchoFunction = "conformance-echo"
	// FailFunction is a durable function whose step fails for good with
	// TargetFailure.
	FailFunction = "conformance-fail"
	// MeasureFunction is a plain function that returns the length in bytes
	// of the JSON input it received.
	MeasureFunction = "conformance-measure"
	// Qualifier is the version the durable targets are invoked through.
	Qualifier = "1"
)

// TargetFailure is the error FailFunction fails with.
type TargetFailure struct{}

// Error says the target failed on purpose.
func (TargetFailure) Error() string { return "the invoked function failed on purpose" }

// ErrorType names the error in checkpoints.
func (TargetFailure) ErrorType() string { return "TargetFailure" }

// InvokeTargets returns the service options that register the functions
// above for one run. The durable ones run as executions of their own.
func InvokeTargets() []durabletest.ServiceOption {
	echo := durabletest.NewRunner(func(ctx durable.Context, in json.RawMessage) (json.RawMessage, error) {
		return durable.Step(ctx, "echo", func(durable.StepContext) (json.RawMessage, error) { return in, nil })
	}, durabletest.WithServiceOptions(durabletest.WithFunction("us-east-1", "123456789012", EchoFunction, Qualifier)))
	fail := durabletest.NewRunner(func(ctx durable.Context, in json.RawMessage) (json.RawMessage, error) {
		return durable.Step(ctx, "fail", func(durable.StepContext) (json.RawMessage, error) { return nil, TargetFailure{} }, durable.WithRetry(durable.NoRetry))
	}, durabletest.WithServiceOptions(durabletest.WithFunction("us-east-1", "123456789012", FailFunction, Qualifier)))
	return []durabletest.ServiceOption{
		durabletest.WithInvokeTarget(EchoFunction, withVersion(durabletest.DurableTarget(echo))),
		durabletest.WithInvokeTarget(FailFunction, withVersion(durabletest.DurableTarget(fail))),
		durabletest.WithInvokeTarget(MeasureFunction, durabletest.InvokeTarget{Run: func(_ context.Context, payload string) (string, error) {
			if payload == "" {
				return "", errors.New("no payload")
			}
			return strconv.Itoa(len(payload)), nil
		}}),
	}
}

func withVersion(t durabletest.InvokeTarget) durabletest.InvokeTarget {
	t.Version = Qualifier
	return t
}

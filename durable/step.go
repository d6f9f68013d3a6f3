package durable

import "github.com/bedrockvideo/pipeline/durable/wire"

// Semantics says how often a step body may run for one attempt.
type Semantics int

const (
	// AtLeastOncePerRetry (the default) runs the body again when an
	// invocation ended while the body was running and nothing was recorded.
	AtLeastOncePerRetry Semantics = iota
	// AtMostOncePerRetry records the attempt's start before the body runs
	// and never runs a started attempt again: an interrupted attempt counts
	// as failed with StepInterruptedError. Combine with NoRetry for
	// at-most-once overall.
	AtMostOncePerRetry
)

// StepOption configures a Step.
type StepOption func(*stepConfig)

type stepConfig struct {
	retry     RetryStrategy
	semantics Semantics
	serdes    Serdes
}

// WithRetry sets the step's retry strategy (default: DefaultRetryPolicy).
func WithRetry(s RetryStrategy) StepOption { return func(c *stepConfig) { c.retry = s } }

// WithSemantics sets how often the body may run per attempt.
func WithSemantics(s Semantics) StepOption { return func(c *stepConfig) { c.semantics = s } }

// WithStepSerdes sets how the step's result is checkpointed (default JSON).
func WithStepSerdes(s Serdes) StepOption { return func(c *stepConfig) { c.serdes = s } }

// Step runs fn once and records its result; on replay it returns the
// recorded result without running fn. A failing fn is retried according to
// the retry strategy, with the waits between attempts spent suspended. The
// returned error is an *OperationError once the step has failed for good.
func Step[O any](ctx Context, name string, fn func(StepContext) (O, error), opts ...StepOption) (O, error) {
	cfg := stepConfig{retry: DefaultRetryPolicy.Strategy()}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.serdes = serdesOr(cfg.serdes)
	s := ctx.workflow()
	var out O
	err := s.runStep(stepSpec{
		name:      name,
		subType:   wire.SubTypeStep,
		semantics: cfg.semantics,
		serdes:    cfg.serdes,
		retry:     cfg.retry,
		body: func(sc StepContext) (string, error) {
			v, err := fn(sc)
			if err != nil {
				return "", err
			}
			rt, data, err := roundTrip(cfg.serdes, v)
			out = rt
			return data, err
		},
		replay: func(data string) error {
			v, err := decode[O](cfg.serdes, data)
			out = v
			return err
		},
	})
	return out, err
}

package durable

import (
	"errors"
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

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
// returned error is a *StepError (an *OperationError) once the step has
// failed for good.
func Step[O any](ctx Context, name string, fn func(StepContext) (O, error), opts ...StepOption) (O, error) {
	t := &typedStep[O]{fn: fn}
	if len(opts) > 0 {
		cfg := stepConfig{}
		for _, o := range opts {
			o(&cfg)
		}
		t.serdes, t.retry, t.semantics = cfg.serdes, cfg.retry, cfg.semantics
	}
	t.serdes = serdesOr(t.serdes)
	err := ctx.workflow().runStep(stepSpec{
		name:      name,
		subType:   wire.SubTypeStep,
		semantics: t.semantics,
		serdes:    t.serdes,
		retry:     t.retry,
		body:      t,
	})
	return t.out, err
}

// typedStep holds a Step's function and typed result: one allocation per
// Step, where closures over the result would take several.
type typedStep[O any] struct {
	fn        func(StepContext) (O, error)
	serdes    Serdes
	retry     RetryStrategy
	semantics Semantics
	out       O
}

func (t *typedStep[O]) run(sc StepContext) (string, error) {
	v, err := t.fn(sc)
	if err != nil {
		return "", err
	}
	rt, data, err := roundTrip(t.serdes, v)
	t.out = rt
	return data, err
}

func (t *typedStep[O]) replay(data string) error {
	v, err := decode[O](t.serdes, data)
	t.out = v
	return err
}

// stepBody is a step's function and typed result, as the engine sees them:
// run runs the function and returns the result's checkpoint text; replay
// takes a recorded result.
type stepBody interface {
	run(StepContext) (string, error)
	replay(data string) error
}

// stepSpec describes one step for the engine.
type stepSpec struct {
	name      string
	subType   string
	semantics Semantics
	serdes    Serdes
	retry     RetryStrategy
	body      stepBody
}

// runStep runs or replays a step (§5.1).
func (s *scope) runStep(spec stepSpec) error {
	if err := s.usable(); err != nil {
		return err
	}
	wid, op, found, err := s.lookupWire(s.claimWire(), wire.TypeStep, spec.subType, spec.name)
	if err != nil {
		return err
	}
	for {
		if found {
			var done bool
			if op, done, err = s.settleStep(wid, kindStep, spec.name, op, spec.body.replay); done {
				return err
			}
			switch op.Status {
			case wire.StatusStarted:
				s.resumed()
				if spec.semantics == AtMostOncePerRetry {
					// The attempt started in an invocation that never
					// recorded its end; it must not run again.
					done, err := s.stepFailed(wid, spec, op, &StepInterruptedError{Name: spec.name})
					if done {
						return err
					}
					op, _ = s.inv.store.get(wid)
					continue
				}
			case wire.StatusReady:
				s.resumed()
			default:
				return fmt.Errorf("durable: step %q has unexpected status %s", spec.name, op.Status)
			}
		}
		if !found || op.Status == wire.StatusReady {
			start := s.update(wid, wire.TypeStep, spec.subType, spec.name, wire.ActionStart)
			if spec.semantics == AtMostOncePerRetry {
				err = s.inv.cp.send(s, start)
			} else {
				err = s.inv.cp.post(s, start)
			}
			if err != nil {
				return err
			}
		}
		sc := &stepContext{Context: s.Context, scope: s, id: wid, name: spec.name, attempt: attemptOf(op)}
		data, bodyErr := runBody(func() (string, error) { return spec.body.run(sc) })
		if bodyErr == nil {
			u := s.update(wid, wire.TypeStep, spec.subType, spec.name, wire.ActionSucceed)
			u.Payload = data
			return s.inv.cp.send(s, u)
		}
		if isControl(bodyErr) && s.Err() != nil {
			return bodyErr
		}
		done, err := s.stepFailed(wid, spec, op, bodyErr)
		if done {
			return err
		}
		op, found = s.inv.store.get(wid)
	}
}

// stepFailed records a failed attempt: a RETRY if the strategy wants
// another attempt (done is false; the step is now PENDING), else a FAIL.
// When the update cannot be recorded, done is true with the error: the
// caller must return it, never run the body again.
func (s *scope) stepFailed(wid string, spec stepSpec, op wire.Operation, cause error) (done bool, err error) {
	obj := errorObject(cause)
	var serdesErr *SerdesError
	decision := RetryDecision{}
	if !errors.As(cause, &serdesErr) {
		retry := spec.retry
		if retry == nil {
			// Built here, not per Step: replay never needs it.
			retry = DefaultRetryPolicy.Strategy()
		}
		decision = retry(cause, attemptOf(op))
	}
	if decision.Retry {
		u := s.update(wid, wire.TypeStep, spec.subType, spec.name, wire.ActionRetry)
		u.Error = obj
		u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: wholeSeconds(decision.Delay)}
		if err := s.inv.cp.send(s, u); err != nil {
			// The attempt's failure is not recorded: the step must not run
			// again in this invocation. The error (a halted checkpointer,
			// suspension, abandonment) ends it; a later invocation retries.
			return true, err
		}
		return false, nil
	}
	u := s.update(wid, wire.TypeStep, spec.subType, spec.name, wire.ActionFail)
	u.Error = obj
	if err := s.inv.cp.send(s, u); err != nil {
		return true, err
	}
	return true, operationError(kindStep, spec.name, obj)
}

// settleStep handles the recorded states of a STEP operation that need no
// new attempt: a finished operation returns its recorded outcome (done is
// true), and a PENDING one waits for its retry timer; anything else is
// returned as it now stands for the caller to run.
func (s *scope) settleStep(wid, kind, name string, op wire.Operation, result func(string) error) (wire.Operation, bool, error) {
	for {
		switch op.Status {
		case wire.StatusSucceeded:
			s.observed(wid)
			return op, true, result(stepResult(op))
		case wire.StatusFailed:
			s.observed(wid)
			return op, true, operationError(kind, name, recordedStepError(op))
		case wire.StatusPending:
			s.resumed()
			if err := s.awaitRetry(wid, op); err != nil {
				return op, true, err
			}
			op, _ = s.inv.store.get(wid)
		default:
			return op, false, nil
		}
	}
}

// awaitRetry blocks until a PENDING step's timer fires (the service marks
// it READY) or the invocation suspends.
func (s *scope) awaitRetry(wid string, op wire.Operation) error {
	var due time.Time
	if op.StepDetails != nil {
		due = op.StepDetails.NextAttemptTimestamp.Time
	}
	return s.inv.coord.block(s, wid, due, func(op wire.Operation) bool { return op.Status != wire.StatusPending })
}

// attemptOf is the 1-based number of the attempt about to run.
func attemptOf(op wire.Operation) int {
	if op.StepDetails == nil {
		return 1
	}
	return op.StepDetails.Attempt + 1
}

func stepResult(op wire.Operation) string {
	if op.StepDetails == nil {
		return ""
	}
	return op.StepDetails.Result
}

func recordedStepError(op wire.Operation) *wire.ErrorObject {
	if op.StepDetails == nil {
		return nil
	}
	return op.StepDetails.Error
}

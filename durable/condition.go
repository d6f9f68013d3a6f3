package durable

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// WaitDecision is a wait strategy's answer after one condition check.
type WaitDecision struct {
	// Continue asks for another check after Delay; false ends the wait with
	// the current state as the result.
	Continue bool
	// Delay before the next check, rounded up to whole seconds (at least 1).
	Delay time.Duration
}

// WaitStrategy decides, after check number attempt (1-based) produced
// state, whether to check again and when. It must be a pure function of its
// arguments: no clock reads. An error fails the operation.
type WaitStrategy[S any] func(state S, attempt int) (WaitDecision, error)

// ConditionConfig configures WaitForCondition.
type ConditionConfig[S any] struct {
	// InitialState is the state the first check receives.
	InitialState S
	// WaitStrategy is required.
	WaitStrategy WaitStrategy[S]
	// Serdes checkpoints the state between checks (default JSON).
	Serdes Serdes
}

// WaitPolicy builds a WaitStrategy from a stop condition and a backoff
// schedule. Zero fields take the defaults: 60 attempts, 5 s initial delay,
// rate 1.5, 300 s cap, full jitter.
type WaitPolicy[S any] struct {
	Done         func(S) bool
	MaxAttempts  int
	InitialDelay time.Duration
	MaxDelay     time.Duration
	BackoffRate  float64
	Jitter       Jitter
}

// WaitAttemptsExceededError is returned by a WaitPolicy strategy when the
// condition is still unmet after MaxAttempts checks. It is recorded with
// the error type "WaitAttemptsExceeded".
type WaitAttemptsExceededError struct{ Attempts int }

// Error says how many checks ran.
func (e *WaitAttemptsExceededError) Error() string {
	return fmt.Sprintf("condition not met after %d checks", e.Attempts)
}

// ErrorType names the error in checkpoints.
func (e *WaitAttemptsExceededError) ErrorType() string { return "WaitAttemptsExceeded" }

// Strategy returns the WaitStrategy the policy describes.
func (p WaitPolicy[S]) Strategy() WaitStrategy[S] {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 60
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = 5 * time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 300 * time.Second
	}
	if p.BackoffRate <= 0 {
		p.BackoffRate = 1.5
	}
	return func(state S, attempt int) (WaitDecision, error) {
		if p.Done != nil && p.Done(state) {
			return WaitDecision{}, nil
		}
		if attempt >= p.MaxAttempts {
			return WaitDecision{}, &WaitAttemptsExceededError{Attempts: attempt}
		}
		return WaitDecision{Continue: true, Delay: backoff(p.InitialDelay, p.MaxDelay, p.BackoffRate, p.Jitter, attempt)}, nil
	}
}

// WaitForCondition polls: it runs check with the current state (first with
// InitialState, immediately), then asks the wait strategy whether to check
// again. Between checks the state is checkpointed and the execution
// suspends. It returns the final state, or a *WaitForConditionError (an
// *OperationError) if a check or the strategy failed.
func WaitForCondition[S any](ctx Context, name string, check func(StepContext, S) (S, error), cfg ConditionConfig[S]) (S, error) {
	var zero S
	if cfg.WaitStrategy == nil {
		return zero, fmt.Errorf("durable: wait for condition %q: ConditionConfig.WaitStrategy is required", name)
	}
	serdes := serdesOr(cfg.Serdes)
	var out S
	err := ctx.workflow().runCondition(conditionSpec{
		name:   name,
		serdes: serdes,
		initial: func() (string, error) {
			_, data, err := roundTrip(serdes, cfg.InitialState)
			return data, err
		},
		check: func(sc StepContext, stateData string, attempt int) (string, WaitDecision, error) {
			state, err := decode[S](serdes, stateData)
			if err != nil {
				return "", WaitDecision{}, err
			}
			next, err := check(sc, state)
			if err != nil {
				return "", WaitDecision{}, err
			}
			next, data, err := roundTrip(serdes, next)
			if err != nil {
				return "", WaitDecision{}, err
			}
			decision, err := cfg.WaitStrategy(next, attempt)
			return data, decision, err
		},
		result: func(data string) error {
			v, err := decode[S](serdes, data)
			out = v
			return err
		},
	})
	return out, err
}

// conditionSpec describes a wait-for-condition for the engine; the closures
// hold the typed state.
type conditionSpec struct {
	name    string
	serdes  Serdes
	initial func() (string, error)
	check   func(sc StepContext, stateData string, attempt int) (string, WaitDecision, error)
	result  func(string) error
}

// runCondition runs or replays a wait-for-condition: one STEP operation
// whose RETRY payloads carry the state between checks (§5.3).
func (s *scope) runCondition(spec conditionSpec) error {
	if err := s.usable(); err != nil {
		return err
	}
	const typ, sub = wire.TypeStep, wire.SubTypeWaitForCondition
	wid, op, found, err := s.lookup(s.claim(), typ, sub, spec.name)
	if err != nil {
		return err
	}
	for {
		if found {
			var done bool
			if op, done, err = s.settleStep(wid, kindWaitForCondition, spec.name, op, spec.result); done {
				return err
			}
			switch op.Status {
			case wire.StatusStarted, wire.StatusReady:
				s.resumed()
			default:
				return fmt.Errorf("durable: wait for condition %q has unexpected status %s", spec.name, op.Status)
			}
		}
		state := stepResult(op)
		if state == "" {
			if state, err = spec.initial(); err != nil {
				return err
			}
		}
		if !found || op.Status == wire.StatusReady {
			if err := s.inv.cp.post(s, s.update(wid, typ, sub, spec.name, wire.ActionStart)); err != nil {
				return err
			}
		}
		attempt := attemptOf(op)
		sc := &stepContext{Context: s.Context, scope: s, id: wid, name: spec.name, attempt: attempt}
		type checked struct {
			state    string
			decision WaitDecision
		}
		res, checkErr := runBody(func() (checked, error) {
			next, decision, err := spec.check(sc, state, attempt)
			return checked{next, decision}, err
		})
		if checkErr != nil {
			if isControl(checkErr) && s.Err() != nil {
				return checkErr
			}
			u := s.update(wid, typ, sub, spec.name, wire.ActionFail)
			u.Error = errorObject(checkErr)
			if err := s.inv.cp.send(s, u); err != nil {
				return err
			}
			return operationError(kindWaitForCondition, spec.name, u.Error)
		}
		if !res.decision.Continue {
			u := s.update(wid, typ, sub, spec.name, wire.ActionSucceed)
			u.Payload = res.state
			if err := s.inv.cp.send(s, u); err != nil {
				return err
			}
			return spec.result(res.state)
		}
		u := s.update(wid, typ, sub, spec.name, wire.ActionRetry)
		u.Payload = res.state
		u.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: wholeSeconds(res.decision.Delay)}
		if err := s.inv.cp.send(s, u); err != nil {
			return err
		}
		op, found = s.inv.store.get(wid)
	}
}

package durable

import (
	"fmt"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// ChildOption configures RunInChildContext.
type ChildOption func(*childConfig)

type childConfig struct {
	serdes  Serdes
	subType string
}

// WithChildSerdes sets how the child's result is checkpointed (default JSON).
func WithChildSerdes(s Serdes) ChildOption { return func(c *childConfig) { c.serdes = s } }

// RunInChildContext runs fn in a context of its own, recorded as one CONTEXT
// operation. Operations inside get ids scoped to the child, so the child's
// body can run concurrently with other work (in a goroutine of its own) and
// still replay deterministically. Once the child has finished, replay
// returns its recorded result without running fn. A failed child returns an
// *ChildContextError (an *OperationError).
func RunInChildContext[O any](ctx Context, name string, fn func(Context) (O, error), opts ...ChildOption) (O, error) {
	cfg := childConfig{subType: wire.SubTypeRunInChildContext}
	for _, o := range opts {
		o(&cfg)
	}
	serdes := serdesOr(cfg.serdes)
	parent := ctx.workflow()
	var out O
	err := parent.runChild(parent.claim(), childSpec{
		kind:    kindChildContext,
		name:    name,
		subType: cfg.subType,
		body: func(child Context) (string, error) {
			v, err := fn(child)
			if err != nil {
				return "", err
			}
			rt, data, err := roundTrip(serdes, v)
			out = rt
			return data, err
		},
		replay: func(data string) error {
			v, err := decode[O](serdes, data)
			out = v
			return err
		},
	})
	return out, err
}

// maxContextResult is the largest child result recorded inline; a larger
// one is recorded with ReplayChildren, and replay re-runs the child (§5.6).
const maxContextResult = 256 * 1024

// childSpec describes a child context for the engine; body and replay
// close over the typed result.
type childSpec struct {
	kind    string // kindChildContext, kindMap or kindMapItem
	name    string
	subType string
	body    func(Context) (string, error)
	replay  func(string) error
}

// runChild runs or replays the child context with positional id id, which
// the caller claimed from this scope (§5.6).
func (s *scope) runChild(id string, spec childSpec) error {
	if err := s.usable(); err != nil {
		return err
	}
	wid, op, found, err := s.lookup(id, wire.TypeContext, spec.subType, spec.name)
	if err != nil {
		return err
	}
	mode := modeLive
	if found {
		details := op.ContextDetails
		if details == nil {
			details = &wire.ContextDetails{}
		}
		switch op.Status {
		case wire.StatusSucceeded:
			s.observed(wid)
			if !details.ReplayChildren {
				return spec.replay(details.Result)
			}
			_, err := spec.body(s.child(id, wid, modeReplaySucceeded))
			return err
		case wire.StatusFailed:
			s.observed(wid)
			return operationError(spec.kind, spec.name, details.Error)
		case wire.StatusStarted:
			mode = s.innerMode(id)
		default:
			return fmt.Errorf("durable: child context %q has unexpected status %s", spec.name, op.Status)
		}
	} else {
		if err := s.inv.cp.post(s, s.update(wid, wire.TypeContext, spec.subType, spec.name, wire.ActionStart)); err != nil {
			return err
		}
	}
	child := s.child(id, wid, mode)
	data, bodyErr := spec.body(child)
	if bodyErr != nil {
		if isControl(bodyErr) {
			return bodyErr
		}
		u := s.update(wid, wire.TypeContext, spec.subType, spec.name, wire.ActionFail)
		u.Error = errorObject(bodyErr)
		if err := s.inv.cp.send(s, u); err != nil {
			return err
		}
		s.observed(wid)
		return operationError(spec.kind, spec.name, u.Error)
	}
	u := s.update(wid, wire.TypeContext, spec.subType, spec.name, wire.ActionSucceed)
	if len(data) > maxContextResult {
		u.ContextOptions = &wire.ContextOptions{ReplayChildren: true}
	} else {
		u.Payload = data
	}
	if err := s.inv.cp.send(s, u); err != nil {
		return err
	}
	// The child finished in this invocation: what follows is new.
	s.observed(wid)
	return nil
}

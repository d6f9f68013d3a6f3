package durable

import "github.com/bedrockvideo/pipeline/durable/wire"

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
// *OperationError of kind "child context".
func RunInChildContext[O any](ctx Context, name string, fn func(Context) (O, error), opts ...ChildOption) (O, error) {
	cfg := childConfig{subType: wire.SubTypeRunInChildContext}
	for _, o := range opts {
		o(&cfg)
	}
	serdes := serdesOr(cfg.serdes)
	parent := ctx.workflow()
	var out O
	err := parent.runChild(parent.claim(), childSpec{
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

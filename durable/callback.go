package durable

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// CallbackOption configures CreateCallback and WaitForCallback.
type CallbackOption func(*callbackConfig)

type callbackConfig struct {
	timeout, heartbeat time.Duration
	serdes             Serdes
	submitterRetry     RetryStrategy
}

// WithCallbackTimeout fails the callback with a timeout (ErrorType
// "Callback.Timeout") when no result arrives within d of its creation,
// rounded up to whole seconds. Default: no timeout.
func WithCallbackTimeout(d time.Duration) CallbackOption {
	return func(c *callbackConfig) { c.timeout = d }
}

// WithHeartbeatTimeout fails the callback with a heartbeat timeout
// (ErrorType "Callback.Heartbeat") when the external system lets more than
// d pass without SendDurableExecutionCallbackHeartbeat or a result,
// rounded up to whole seconds. Default: no heartbeat timeout.
func WithHeartbeatTimeout(d time.Duration) CallbackOption {
	return func(c *callbackConfig) { c.heartbeat = d }
}

// WithCallbackSerdes sets how the submitted result text is decoded into
// the callback's type (default JSON: a result sent as "done" with its
// quotes decodes into a string; an empty result is the zero value).
func WithCallbackSerdes(s Serdes) CallbackOption {
	return func(c *callbackConfig) { c.serdes = s }
}

// WithSubmitterRetry sets the retry strategy of WaitForCallback's
// submitter step (default DefaultRetryPolicy). CreateCallback ignores it.
func WithSubmitterRetry(s RetryStrategy) CallbackOption {
	return func(c *callbackConfig) { c.submitterRetry = s }
}

func newCallbackConfig(name string, opts []CallbackOption) (callbackConfig, error) {
	cfg := callbackConfig{submitterRetry: DefaultRetryPolicy.Strategy()}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.serdes = serdesOr(cfg.serdes)
	if cfg.timeout < 0 {
		return cfg, fmt.Errorf("durable: callback %q: timeout %v is negative; use 0 for no timeout", name, cfg.timeout)
	}
	if cfg.heartbeat < 0 {
		return cfg, fmt.Errorf("durable: callback %q: heartbeat timeout %v is negative; use 0 for none", name, cfg.heartbeat)
	}
	if cfg.submitterRetry == nil {
		return cfg, fmt.Errorf("durable: callback %q: the submitter retry strategy is nil", name)
	}
	return cfg, nil
}

// options returns the CALLBACK START options, or nil without timeouts.
func (c callbackConfig) options() *wire.CallbackOptions {
	if c.timeout == 0 && c.heartbeat == 0 {
		return nil
	}
	o := &wire.CallbackOptions{}
	if c.timeout > 0 {
		o.TimeoutSeconds = wholeSeconds(c.timeout)
	}
	if c.heartbeat > 0 {
		o.HeartbeatTimeoutSeconds = wholeSeconds(c.heartbeat)
	}
	return o
}

// Callback is a CALLBACK operation: a slot an external system fills by
// calling SendDurableExecutionCallbackSuccess (or ...Failure, ...Heartbeat)
// with ID. Result waits for it; the execution is suspended, and nothing is
// billed, while only callbacks and timers are outstanding.
type Callback[T any] struct {
	// ID is the service-assigned CallbackId to hand to the external system.
	ID string

	name   string
	wid    string
	serdes Serdes
}

// CreateCallback records a CALLBACK operation and returns it with its
// CallbackId. It does not wait: send the ID to the external system (from a
// Step, so that it happens once), then call Result. On replay it returns
// the recorded callback with the same ID. A failed or timed-out callback
// reports its error from Result, not here.
func CreateCallback[T any](ctx Context, name string, opts ...CallbackOption) (*Callback[T], error) {
	cfg, err := newCallbackConfig(name, opts)
	if err != nil {
		return nil, err
	}
	wid, id, err := ctx.workflow().startCallback(name, cfg)
	if err != nil {
		return nil, err
	}
	return &Callback[T]{ID: id, name: name, wid: wid, serdes: cfg.serdes}, nil
}

// Result waits for the callback's outcome and returns the submitted result
// decoded into T. A callback the external system failed, or that timed
// out, returns a *CallbackError (an *OperationError). ctx is the Context
// of the goroutine that waits (the one that created the callback, or a
// child of it).
func (c *Callback[T]) Result(ctx Context) (T, error) {
	var zero T
	data, err := ctx.workflow().awaitCallback(c.wid, c.name, kindCallback)
	if err != nil {
		return zero, err
	}
	return decode[T](c.serdes, data)
}

// startCallback starts or finds the CALLBACK operation at the scope's next
// position and returns its wire id and CallbackId (§5.4).
func (s *scope) startCallback(name string, cfg callbackConfig) (wid, callbackID string, err error) {
	if err := s.usable(); err != nil {
		return "", "", err
	}
	wid, op, found, err := s.lookup(s.claim(), wire.TypeCallback, wire.SubTypeCallback, name)
	if err != nil {
		return "", "", err
	}
	if !found {
		u := s.update(wid, wire.TypeCallback, wire.SubTypeCallback, name, wire.ActionStart)
		u.CallbackOptions = cfg.options()
		if err := s.inv.cp.send(s, u); err != nil {
			return "", "", err
		}
		op, _ = s.inv.store.get(wid)
	}
	if op.CallbackDetails == nil || op.CallbackDetails.CallbackId == "" {
		return "", "", fmt.Errorf("durable: callback %q: the service recorded no CallbackId", name)
	}
	return wid, op.CallbackDetails.CallbackId, nil
}

// awaitCallback waits until the CALLBACK operation wid has an outcome and
// returns its raw result, or its error as kind's error type.
func (s *scope) awaitCallback(wid, name, kind string) (string, error) {
	op, ok := s.inv.store.get(wid)
	if !ok {
		return "", fmt.Errorf("durable: callback %q was never created in this execution", name)
	}
	if op.Status == wire.StatusStarted {
		s.resumed()
		if err := s.inv.coord.block(s, wid, time.Time{}, func(op wire.Operation) bool { return op.Status.Terminal() }); err != nil {
			return "", err
		}
		op, _ = s.inv.store.get(wid)
	}
	details := op.CallbackDetails
	if details == nil {
		details = &wire.CallbackDetails{}
	}
	switch op.Status {
	case wire.StatusSucceeded:
		s.observed(wid)
		return details.Result, nil
	case wire.StatusFailed, wire.StatusTimedOut:
		s.observed(wid)
		return "", operationError(kind, name, details.Error)
	}
	return "", fmt.Errorf("durable: callback %q ended with status %s", name, op.Status)
}

// WaitForCallback creates a callback, runs submit with its CallbackId as a
// step (retried by WithSubmitterRetry) to hand the id to the external
// system, and waits for the result, all recorded as one CONTEXT operation
// (subtype WaitForCallback) named name. A failed submitter, a callback the
// external system failed and a timeout all return a *CallbackError (an
// *OperationError) carrying the recorded error type and message.
func WaitForCallback[T any](ctx Context, name string, submit func(sc StepContext, callbackID string) error, opts ...CallbackOption) (T, error) {
	var zero T
	cfg, err := newCallbackConfig(name, opts)
	if err != nil {
		return zero, err
	}
	if submit == nil {
		return zero, fmt.Errorf("durable: wait for callback %q: the submitter is nil", name)
	}
	parent := ctx.workflow()
	var raw string
	err = parent.runChild(parent.claim(), childSpec{
		kind:    kindWaitForCallback,
		name:    name,
		subType: wire.SubTypeWaitForCallback,
		body: func(child Context) (string, error) {
			cs := child.workflow()
			wid, id, err := cs.startCallback("", cfg)
			if err != nil {
				return "", err
			}
			if _, err := Step(child, "", func(sc StepContext) (struct{}, error) {
				return struct{}{}, submit(sc, id)
			}, WithRetry(cfg.submitterRetry)); err != nil {
				return "", err
			}
			data, err := cs.awaitCallback(wid, name, kindCallback)
			raw = data
			return data, err
		},
		replay: func(data string) error {
			raw = data
			return nil
		},
	})
	if err != nil {
		return zero, err
	}
	return decode[T](cfg.serdes, raw)
}

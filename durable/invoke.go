package durable

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// MaxInvokePayload is the largest chained-invoke input the service accepts
// (CHAINED_INVOKE START Payload, 1,048,576 bytes).
const MaxInvokePayload = 1 << 20

// InvokeOption configures Invoke.
type InvokeOption func(*invokeConfig)

type invokeConfig struct {
	tenantID      string
	payloadSerdes Serdes
	resultSerdes  Serdes
}

// WithTenantID runs the invoked function for a tenant (a tenant-isolated
// function's TenantId).
func WithTenantID(id string) InvokeOption { return func(c *invokeConfig) { c.tenantID = id } }

// WithPayloadSerdes sets how the payload is encoded (default JSON).
func WithPayloadSerdes(s Serdes) InvokeOption { return func(c *invokeConfig) { c.payloadSerdes = s } }

// WithResultSerdes sets how the invoked function's result is decoded
// (default JSON).
func WithResultSerdes(s Serdes) InvokeOption { return func(c *invokeConfig) { c.resultSerdes = s } }

// Invoke calls another Lambda function with payload and returns its result
// decoded into O, recorded as one CHAINED_INVOKE operation named name. The
// execution is suspended, and nothing is billed, while it waits; replay
// returns the recorded result without calling again. functionName is a
// name, name:qualifier or ARN; a durable function must be invoked through a
// version or alias. A failed, timed-out or stopped invocation returns an
// *InvokeError (an *OperationError) whose Status tells which.
func Invoke[O any](ctx Context, name, functionName string, payload any, opts ...InvokeOption) (O, error) {
	var zero O
	cfg := invokeConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if functionName == "" {
		return zero, fmt.Errorf("durable: invoke %q: the function name is empty", name)
	}
	data, err := serdesOr(cfg.payloadSerdes).Serialize(payload)
	if err != nil {
		return zero, fmt.Errorf("durable: invoke %q: encode the payload: %w", name, &SerdesError{Err: err})
	}
	if len(data) > MaxInvokePayload {
		return zero, fmt.Errorf("durable: invoke %q: the payload is %d bytes; a chained invoke's input may be at most %d bytes", name, len(data), MaxInvokePayload)
	}
	raw, err := ctx.workflow().runInvoke(name, wire.ChainedInvokeOptions{FunctionName: functionName, TenantId: cfg.tenantID}, data)
	if err != nil {
		return zero, err
	}
	return decode[O](serdesOr(cfg.resultSerdes), raw)
}

// runInvoke starts or resumes a chained invoke and returns its raw result
// (§5.5).
func (s *scope) runInvoke(name string, opts wire.ChainedInvokeOptions, payload string) (string, error) {
	if err := s.usable(); err != nil {
		return "", err
	}
	wid, op, found, err := s.lookup(s.claim(), wire.TypeChainedInvoke, wire.SubTypeChainedInvoke, name)
	if err != nil {
		return "", err
	}
	if !found {
		u := s.update(wid, wire.TypeChainedInvoke, wire.SubTypeChainedInvoke, name, wire.ActionStart)
		u.Payload = payload
		u.ChainedInvokeOptions = &opts
		if err := s.inv.cp.send(s, u); err != nil {
			return "", err
		}
		op, _ = s.inv.store.get(wid)
	}
	switch op.Status {
	case wire.StatusStarted, wire.StatusPending, wire.StatusReady:
		s.resumed()
		if err := s.inv.coord.block(s, wid, time.Time{}, func(op wire.Operation) bool { return op.Status.Terminal() }); err != nil {
			return "", err
		}
		op, _ = s.inv.store.get(wid)
	}
	details := op.ChainedInvokeDetails
	if details == nil {
		details = &wire.ChainedInvokeDetails{}
	}
	switch op.Status {
	case wire.StatusSucceeded:
		s.observed(wid)
		return details.Result, nil
	case wire.StatusFailed, wire.StatusTimedOut, wire.StatusStopped, wire.StatusCancelled:
		s.observed(wid)
		err := operationError(kindInvoke, name, details.Error).(*InvokeError)
		err.Status = string(op.Status)
		return "", err
	}
	return "", fmt.Errorf("durable: invoke %q ended with status %s", name, op.Status)
}

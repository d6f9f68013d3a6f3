package durabletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// InvokeTarget is a function that chained invokes can call. The Service
// runs it when an execution waits for a chained invoke of it, and records
// its outcome as ChainedInvokeSucceeded, ChainedInvokeFailed or, for
// ErrInvokeTimedOut, ChainedInvokeTimedOut.
type InvokeTarget struct {
	// Version is the function version an invoke through an alias or
	// without a qualifier runs (ExecutedVersion); default "$LATEST". An
	// invoke through a version runs that version.
	Version string
	// Run receives the invoke's payload (JSON text, empty for none) and
	// returns the result payload. An error fails the invoke with its type
	// name and message, or with the error object of an *InvokeFailure.
	Run func(ctx context.Context, payload string) (string, error)
}

// InvokeFailure is an error an InvokeTarget returns to fail the invoke
// with exactly this error object.
type InvokeFailure struct{ Object wire.ErrorObject }

// Error returns the error type and message.
func (f *InvokeFailure) Error() string { return f.Object.ErrorType + ": " + f.Object.ErrorMessage }

// ErrInvokeTimedOut, returned by an InvokeTarget, records the invoke as
// timed out, as when the target's own execution exceeds its timeout.
var ErrInvokeTimedOut = errors.New("durabletest: the invoked function timed out")

// WithInvokeTarget registers the function named functionName (a plain
// name; invokes may call it by name, name:qualifier or ARN) for chained
// invokes. A chained invoke of a function that is not registered fails
// with ResourceNotFoundException, as Lambda's Invoke does.
func WithInvokeTarget(functionName string, t InvokeTarget) ServiceOption {
	return func(c *serviceConfig) {
		if c.targets == nil {
			c.targets = map[string]InvokeTarget{}
		}
		c.targets[functionName] = t
	}
}

// DurableTarget makes an InvokeTarget of a durable function run by r (each
// invoke is one Run of r, with the invoke's payload as input): its result
// is the invoke's result, a failed execution fails the invoke with the
// execution's error, and a timed-out one times it out.
func DurableTarget[I, O any](r *Runner[I, O]) InvokeTarget {
	return InvokeTarget{Run: func(ctx context.Context, payload string) (string, error) {
		var in I
		if payload != "" {
			if err := json.Unmarshal([]byte(payload), &in); err != nil {
				return "", &InvokeFailure{Object: wire.ErrorObject{ErrorType: "SerializationException", ErrorMessage: err.Error()}}
			}
		}
		res, err := r.Run(ctx, in)
		if err != nil {
			return "", err
		}
		switch res.Status {
		case StatusSucceeded:
			return res.RawResult, nil
		case StatusTimedOut:
			return "", ErrInvokeTimedOut
		}
		eo := wire.ErrorObject{ErrorType: "Error", ErrorMessage: "the durable execution ended with status " + string(res.Status)}
		if res.Error != nil {
			eo = *res.Error
		}
		return "", &InvokeFailure{Object: eo}
	}}
}

// invokeCall is what a CHAINED_INVOKE START asked for.
type invokeCall struct {
	function, payload string
}

// functionNameRE extracts the function name from a name, a
// name:qualifier or an ARN (Lambda's FunctionName pattern).
var functionNameRE = regexp.MustCompile(`^(?:arn:[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?([a-zA-Z0-9_.-]+)(?::([a-zA-Z0-9_$.-]+))?$`)

// versionRE matches a version qualifier (ExecutedVersion's pattern).
var versionRE = regexp.MustCompile(`^(\$LATEST|[0-9]+)$`)

// startInvoke fills in what the service decides when a chained invoke
// starts: the version that runs and the target's execution ARN.
func (e *execution) startInvoke(r *opRecord, d *ChainedInvokeStartedDetails, payload string) {
	r.invoke = &invokeCall{function: d.FunctionName, payload: payload}
	m := functionNameRE.FindStringSubmatch(d.FunctionName)
	if m == nil {
		return
	}
	// A version qualifier runs that version; an alias or no qualifier runs
	// the target's Version.
	version := "$LATEST"
	if t, ok := e.svc.cfg.targets[m[1]]; ok && t.Version != "" {
		version = t.Version
	}
	if versionRE.MatchString(m[2]) {
		version = m[2]
	}
	d.ExecutedVersion = version
	c := e.svc.cfg
	d.DurableExecutionArn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s/durable-execution/%s/%s", c.region, c.account, m[1], version, e.svc.newUUID(), e.svc.newUUID())
}

// runInvokeTargets runs the targets of the execution's started chained
// invokes and records their outcomes. It reports whether it recorded any.
func (s *Service) runInvokeTargets(ctx context.Context, arn string) (bool, error) {
	type pending struct {
		id   string
		call invokeCall
	}
	s.mu.Lock()
	e, err := s.lookup(arn)
	if err != nil {
		s.mu.Unlock()
		return false, err
	}
	var todo []pending
	for _, r := range e.ops {
		if r.op.Type == wire.TypeChainedInvoke && r.op.Status == wire.StatusStarted && r.invoke != nil {
			todo = append(todo, pending{r.op.Id, *r.invoke})
		}
	}
	s.mu.Unlock()
	for _, p := range todo {
		var result string
		var runErr error
		m := functionNameRE.FindStringSubmatch(p.call.function)
		t, ok := InvokeTarget{}, false
		if m != nil {
			t, ok = s.cfg.targets[m[1]]
		}
		if !ok || t.Run == nil {
			runErr = &InvokeFailure{Object: wire.ErrorObject{ErrorType: "ResourceNotFoundException", ErrorMessage: "Function not found: " + p.call.function}}
		} else {
			result, runErr = t.Run(ctx, p.call.payload)
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := s.finishInvoke(arn, p.id, result, runErr); err != nil {
			return false, err
		}
	}
	return len(todo) > 0, nil
}

// CompleteChainedInvoke records the outcome of the started chained invoke
// operationID as its target would: result on success, else failure (or
// ErrInvokeTimedOut). Use it to drive chained invokes by hand; targets
// registered with WithInvokeTarget are run by the runner.
func (s *Service) CompleteChainedInvoke(executionArn, operationID, result string, failure error) error {
	return s.finishInvoke(executionArn, operationID, result, failure)
}

func (s *Service) finishInvoke(arn, id, result string, runErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(arn)
	if err != nil {
		return err
	}
	r, ok := e.index[id]
	if !ok || r.op.Type != wire.TypeChainedInvoke {
		return &wire.APIError{Code: "ResourceNotFoundException", Message: "No chained invoke " + id + " in " + arn, StatusCode: 404}
	}
	if r.op.Status != wire.StatusStarted {
		return invalidParam("The chained invoke " + id + " has already ended: " + string(r.op.Status))
	}
	now := e.now()
	r.op.EndTimestamp = wire.At(now)
	var ev Event
	switch {
	case runErr == nil:
		r.op.Status = wire.StatusSucceeded
		r.op.ChainedInvokeDetails.Result = result
		ev = e.opEvent(EventChainedInvokeSucceeded, r)
		ev.ChainedInvokeSucceededDetails = &ResultDetails{Result: &EventPayload{Payload: result}}
	case errors.Is(runErr, ErrInvokeTimedOut):
		eo := &wire.ErrorObject{ErrorType: "Invoke.Timeout", ErrorMessage: "The invoked function's durable execution timed out"}
		r.op.Status = wire.StatusTimedOut
		r.op.ChainedInvokeDetails.Error = eo
		ev = e.opEvent(EventChainedInvokeTimedOut, r)
		ev.ChainedInvokeTimedOutDetails = &ErrorDetails{Error: eventError(eo)}
	default:
		eo := errorObject(runErr)
		var f *InvokeFailure
		if errors.As(runErr, &f) {
			eo = cloneErr(&f.Object)
		}
		r.op.Status = wire.StatusFailed
		r.op.ChainedInvokeDetails.Error = eo
		ev = e.opEvent(EventChainedInvokeFailed, r)
		ev.ChainedInvokeFailedDetails = &ErrorDetails{Error: eventError(eo)}
	}
	e.record(ev, now)
	e.markDirty(r)
	e.markUnseen(r)
	return nil
}

package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bedrockvideo/pipeline/durable/lambdaclient"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// maxInlineResult is the largest result returned inline: Lambda's 6 MiB
// response limit less room for the envelope (§1.4).
const maxInlineResult = 6*1024*1024 - 50

// statePageSize is how many operations each GetDurableExecutionState call
// asks for.
const statePageSize = 1000

// errNotDurable is returned for a payload that did not come from the
// durable execution service.
var errNotDurable = errors.New("durable: the invocation payload has no DurableExecutionArn or CheckpointToken; the function is not configured as a durable function (set DurableConfig on it and invoke it through a qualified ARN)")

// execution is the state of one invocation of a durable execution.
type execution struct {
	arn        string
	client     ExecutionClient
	state      *operationStore
	cp         *checkpointer
	coord      *coordinator
	logHandler slog.Handler
	logger     *slog.Logger

	updated        map[string]bool // UpdatedOperationIds of this invocation
	finishedAtLoad map[string]bool // operations already terminal when the invocation began

	fatalMu  sync.Mutex
	fatalErr error
}

// fatal records an error that fails the execution whatever the handler does
// with it, and returns it.
func (e *execution) fatal(err error) error {
	e.fatalMu.Lock()
	defer e.fatalMu.Unlock()
	if e.fatalErr == nil {
		e.fatalErr = err
	}
	return err
}

func (e *execution) fatalCause() error {
	e.fatalMu.Lock()
	defer e.fatalMu.Unlock()
	return e.fatalErr
}

// isFresh reports whether the outcome of operation wid is news to the
// workflow: it changed since the previous invocation or during this one.
func (e *execution) isFresh(wid string) bool {
	return e.updated[wid] || !e.finishedAtLoad[wid]
}

// absorb brings the local view up to date after a checkpoint call: the
// accepted updates first, then the operations the service reported (with
// any further pages). It returns the ids that changed.
func (e *execution) absorb(ctx context.Context, updates []wire.OperationUpdate, resp wire.CheckpointResponse) []string {
	now := time.Now()
	ids := make([]string, 0, len(updates))
	for _, u := range updates {
		e.state.apply(u, now)
		ids = append(ids, u.Id)
	}
	if resp.NewExecutionState == nil {
		return ids
	}
	ids = append(ids, e.state.merge(resp.NewExecutionState.Operations)...)
	marker := resp.NewExecutionState.NextMarker
	for marker != "" && resp.CheckpointToken != "" {
		page, err := e.client.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: e.arn, CheckpointToken: resp.CheckpointToken, Marker: marker, MaxItems: statePageSize})
		if err != nil {
			e.cp.halt(newCheckpointError(fmt.Errorf("load changed operations: %w", err)))
			break
		}
		ids = append(ids, e.state.merge(page.Operations)...)
		marker = page.NextMarker
	}
	return ids
}

// Wrap turns h into the raw invocation handler Lambda calls; durable.Start
// uses it, and tests call it directly.
func Wrap[I, O any](h Handler[I, O], opts ...Option) RawHandler {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logHandler == nil {
		o.logHandler = defaultLogHandler(os.Stdout)
	}
	var clientOnce sync.Once
	var clientErr error
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		if o.client == nil {
			clientOnce.Do(func() {
				c, err := lambdaclient.NewFromConfig(ctx)
				if err != nil {
					clientErr = fmt.Errorf("durable: create the Lambda client: %w", err)
					return
				}
				o.client = c
			})
			if clientErr != nil {
				return nil, clientErr
			}
		}
		out, err := invoke(ctx, h, o, payload)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// invoke runs one invocation and returns its response, or an error when
// the invocation (not the execution) failed and Lambda should retry it.
func invoke[I, O any](ctx context.Context, h Handler[I, O], o options, payload []byte) (wire.InvocationOutput, error) {
	in, err := decodeInvocation(payload)
	if err != nil {
		return wire.InvocationOutput{}, fmt.Errorf("%w: decode payload: %v", errNotDurable, err)
	}
	if in.DurableExecutionArn == "" || in.CheckpointToken == "" {
		return wire.InvocationOutput{}, errNotDurable
	}
	attrs := []slog.Attr{slog.String("executionArn", in.DurableExecutionArn)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	logHandler := o.logHandler.WithAttrs(attrs)
	exec := &execution{
		arn:        in.DurableExecutionArn,
		client:     o.client,
		logHandler: logHandler,
		logger:     slog.New(logHandler),
	}
	ops, err := loadOperations(ctx, o.client, in)
	if err != nil {
		if classify(err) == scopeExecution {
			return failed(newCheckpointError(err)), nil
		}
		return wire.InvocationOutput{}, fmt.Errorf("durable: load execution state: %w", err)
	}
	exec.state = newOperationStore(ops)
	exec.updated = make(map[string]bool, len(in.UpdatedOperationIds))
	for _, id := range in.UpdatedOperationIds {
		exec.updated[id] = true
	}
	exec.finishedAtLoad = make(map[string]bool, len(ops))
	for _, op := range ops {
		if op.Status.Terminal() {
			exec.finishedAtLoad[op.Id] = true
		}
	}
	execOp, ok := exec.state.execution()
	if !ok {
		return failed(fmt.Errorf("durable: the execution state has no EXECUTION operation")), nil
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	exec.cp = newCheckpointer(exec, in.CheckpointToken)
	exec.coord = newCoordinator(exec)
	go exec.cp.run(runCtx)
	go exec.coord.run(runCtx)

	var input I
	if d := execOp.ExecutionDetails; d != nil && d.InputPayload != "" {
		if err := json.Unmarshal([]byte(d.InputPayload), &input); err != nil {
			return failed(&SerdesError{Err: fmt.Errorf("decode the execution input into %T: %w", input, err)}), nil
		}
	}
	root := &scope{Context: runCtx, exec: exec, mode: modeLive}
	if len(ops) > 1 {
		root.mode = modeReplay
	}

	exec.coord.enter()
	result, handlerErr := runHandler(h, root, input)
	exec.coord.leave()
	return exec.outcome(execOp, result, handlerErr)
}

// runHandler calls the user's handler, turning a panic into an error.
func runHandler[I, O any](h Handler[I, O], ctx Context, input I) (out O, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: fmt.Sprint(r)}
		}
	}()
	return h(ctx, input)
}

// outcome decides the invocation's response once the handler returned
// (§7.5): a halted checkpointer or a suspension win over what the handler
// returned.
func (e *execution) outcome(execOp wire.Operation, result any, handlerErr error) (wire.InvocationOutput, error) {
	if cause := e.fatalCause(); cause != nil {
		return e.fail(execOp, cause)
	}
	if out, err, decided := e.haltOutcome(); decided {
		return out, err
	}
	if e.coord.isSuspended() {
		return wire.InvocationOutput{Status: wire.InvocationPending}, nil
	}
	if handlerErr != nil {
		if IsSuspended(handlerErr) {
			// Suspension was requested but not committed: nothing pending
			// was recorded, so retry the invocation rather than answer a
			// PENDING the service would reject.
			return wire.InvocationOutput{}, fmt.Errorf("durable: handler returned a suspension without a pending operation: %w", handlerErr)
		}
		return e.fail(execOp, handlerErr)
	}
	data, err := JSONSerdes{}.Serialize(result)
	if err != nil {
		return e.fail(execOp, &SerdesError{Err: fmt.Errorf("encode the handler result: %w", err)})
	}
	if len(data) > maxInlineResult {
		update := wire.OperationUpdate{Id: execOp.Id, Type: wire.TypeExecution, Action: wire.ActionSucceed, Payload: data}
		if err := e.cp.send(nil, update); err != nil {
			if out, err, decided := e.haltOutcome(); decided {
				return out, err
			}
			return wire.InvocationOutput{}, err
		}
		return wire.InvocationOutput{Status: wire.InvocationSucceeded}, nil
	}
	if err := e.cp.flush(); err != nil {
		if out, err, decided := e.haltOutcome(); decided {
			return out, err
		}
	}
	return wire.InvocationOutput{Status: wire.InvocationSucceeded, Result: data}, nil
}

// haltOutcome maps a halted checkpointer to the invocation's response.
func (e *execution) haltOutcome() (wire.InvocationOutput, error, bool) {
	cause := e.cp.haltCause()
	var ce *CheckpointError
	switch {
	case cause == nil, errors.Is(cause, errSuspended):
		return wire.InvocationOutput{}, nil, false
	case errors.Is(cause, errNoToken):
		return wire.InvocationOutput{Status: wire.InvocationPending}, nil, true
	case errors.As(cause, &ce) && ce.Permanent():
		return failed(ce), nil, true
	default:
		return wire.InvocationOutput{}, cause, true
	}
}

// fail records the execution's failure: inline, or through an EXECUTION
// FAIL checkpoint when the error object is too large to return.
func (e *execution) fail(execOp wire.Operation, err error) (wire.InvocationOutput, error) {
	out := failed(err)
	if encoded, _ := json.Marshal(out); len(encoded) <= maxInlineResult {
		_ = e.cp.flush()
		return out, nil
	}
	update := wire.OperationUpdate{Id: execOp.Id, Type: wire.TypeExecution, Action: wire.ActionFail, Error: out.Error}
	if sendErr := e.cp.send(nil, update); sendErr != nil {
		return wire.InvocationOutput{}, fmt.Errorf("durable: record the execution's failure: %w", sendErr)
	}
	return wire.InvocationOutput{Status: wire.InvocationFailed}, nil
}

func failed(err error) wire.InvocationOutput {
	return wire.InvocationOutput{Status: wire.InvocationFailed, Error: errorObject(err)}
}

// loadOperations returns every operation of the execution: the first page
// from the payload, the rest from GetDurableExecutionState.
func loadOperations(ctx context.Context, client ExecutionClient, in wire.InvocationInput) ([]wire.Operation, error) {
	ops := in.InitialExecutionState.Operations
	marker := in.InitialExecutionState.NextMarker
	for marker != "" {
		page, err := client.GetExecutionState(ctx, wire.StateRequest{
			DurableExecutionArn: in.DurableExecutionArn,
			CheckpointToken:     in.CheckpointToken,
			Marker:              marker,
			MaxItems:            statePageSize,
		})
		if err != nil {
			return nil, err
		}
		ops = append(ops, page.Operations...)
		marker = page.NextMarker
	}
	return ops, nil
}

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

// invocation is one invocation of a durable execution. It owns the
// operation store, the checkpointer and the suspension coordinator, wires
// them to each other with plain functions, and alone decides how the
// invocation ends (finish).
type invocation struct {
	arn        string
	store      *operationStore
	cp         *checkpointer
	coord      *coordinator
	logHandler slog.Handler
	logger     *slog.Logger
	replayLogs ReplayLogMode
	startTime  time.Time // the EXECUTION operation's start

	updated        map[string]bool // UpdatedOperationIds of this invocation
	finishedAtLoad map[string]bool // operations already terminal when the invocation began
}

// newInvocation builds the invocation of execution arn from its loaded
// operations; start runs its checkpointer and coordinator.
func newInvocation(client ExecutionClient, in wire.InvocationInput, ops []*wire.Operation, logHandler slog.Handler) *invocation {
	inv := &invocation{
		arn:            in.DurableExecutionArn,
		store:          newOperationStore(ops),
		logHandler:     logHandler,
		logger:         slog.New(logHandler),
		updated:        make(map[string]bool, len(in.UpdatedOperationIds)),
		finishedAtLoad: make(map[string]bool, len(ops)),
	}
	for _, id := range in.UpdatedOperationIds {
		inv.updated[id] = true
	}
	for _, op := range ops {
		if op.Status.Terminal() {
			inv.finishedAtLoad[op.Id] = true
		}
	}
	// The checkpointer is built first; its change reports reach the
	// coordinator through this variable, set before either of them runs.
	var coord *coordinator
	inv.cp = newCheckpointer(checkpointerConfig{
		client:  client,
		arn:     in.DurableExecutionArn,
		token:   in.CheckpointToken,
		store:   inv.store,
		changed: func(ids []string) { coord.changed(ids) },
		onHalt:  inv.logHalt,
		logger:  inv.logger,
	})
	coord = newCoordinator(coordinatorDeps{
		lookup: inv.store.get,
		flush:  inv.cp.flush,
		poll:   inv.cp.poll,
		halt:   inv.cp.halt,
	})
	inv.coord = coord
	return inv
}

// start runs the checkpointer and the coordinator until ctx ends.
func (inv *invocation) start(ctx context.Context) {
	go inv.cp.run(ctx)
	go inv.coord.run(ctx)
}

// logHalt notes why checkpointing stopped when it is news to an operator:
// suspension and the invocation's end are not.
func (inv *invocation) logHalt(cause error) {
	if errors.Is(cause, errSuspended) || errors.Is(cause, errNoToken) || errors.Is(cause, context.Canceled) {
		return
	}
	inv.logger.LogAttrs(context.Background(), slog.LevelWarn, "Checkpointing stopped; this invocation ends", slog.String("cause", cause.Error()))
}

// stop halts checkpointing with err, which then decides the invocation's
// outcome unless an earlier cause already did, and returns err.
func (inv *invocation) stop(err error) error {
	inv.cp.halt(err)
	return err
}

// isFresh reports whether the outcome of operation wid is news to the
// workflow: it changed since the previous invocation or during this one.
func (inv *invocation) isFresh(wid string) bool {
	return inv.updated[wid] || !inv.finishedAtLoad[wid]
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
	ops, err := loadOperations(ctx, o.client, in)
	if err != nil {
		if classify(err) == scopeExecution {
			return failed(newCheckpointError(err)), nil
		}
		return wire.InvocationOutput{}, fmt.Errorf("durable: load execution state: %w", err)
	}
	inv := newInvocation(o.client, in, ops, logHandler)
	execOp, ok := inv.store.execution()
	if !ok {
		return failed(fmt.Errorf("durable: the execution state has no EXECUTION operation")), nil
	}
	inv.startTime, inv.replayLogs = execOp.StartTimestamp.Time, o.replayLogs
	var input I
	if d := execOp.ExecutionDetails; d != nil && d.InputPayload != "" {
		if err := json.Unmarshal([]byte(d.InputPayload), &input); err != nil {
			return failed(&SerdesError{Err: fmt.Errorf("decode the execution input into %T: %w", input, err)}), nil
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	inv.start(runCtx)
	root := &scope{Context: runCtx, inv: inv, mode: modeLive}
	if len(ops) > 1 {
		root.mode = modeReplay
	}
	inv.coord.enter()
	result, handlerErr := runHandler(h, root, input)
	return inv.finish(execOp, result, handlerErr)
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

// finish decides the invocation's response once the handler has returned.
// It is the only place that does, and it decides in this order:
//
//  1. The coordinator is closed, so no suspension starts from here on, and
//     the checkpoint queue is drained.
//  2. If checkpointing stopped, its cause decides (haltOutcome): it was
//     recorded before any operation returned an error because of it, so a
//     handler error produced by a halt never hides the halt.
//  3. A handler error fails the execution.
//  4. The result is returned (or checkpointed, when too large to return).
func (inv *invocation) finish(execOp wire.Operation, result any, handlerErr error) (wire.InvocationOutput, error) {
	inv.coord.close()
	_ = inv.cp.flush()
	if out, err, decided := haltOutcome(inv.cp.haltCause()); decided {
		return out, err
	}
	if handlerErr != nil {
		if IsSuspended(handlerErr) {
			// Suspension was requested but not committed: nothing pending
			// was recorded, so retry the invocation rather than answer a
			// PENDING the service would reject.
			return wire.InvocationOutput{}, fmt.Errorf("durable: handler returned a suspension without a pending operation: %w", handlerErr)
		}
		return inv.fail(execOp, handlerErr)
	}
	data, err := JSONSerdes{}.Serialize(result)
	if err != nil {
		return inv.fail(execOp, &SerdesError{Err: fmt.Errorf("encode the handler result: %w", err)})
	}
	if len(data) <= maxInlineResult {
		return wire.InvocationOutput{Status: wire.InvocationSucceeded, Result: data}, nil
	}
	update := wire.OperationUpdate{Id: execOp.Id, Type: wire.TypeExecution, Action: wire.ActionSucceed, Payload: data}
	if err := inv.cp.send(nil, update); err != nil {
		if out, err, decided := haltOutcome(inv.cp.haltCause()); decided {
			return out, err
		}
		return wire.InvocationOutput{}, fmt.Errorf("durable: record the execution's result: %w", err)
	}
	return wire.InvocationOutput{Status: wire.InvocationSucceeded}, nil
}

// haltOutcome maps why checkpointing stopped to the invocation's response;
// decided is false while it has not stopped (§7.5). A suspension or a
// response without a token ends the invocation PENDING; a replay that
// diverged from the history or a permanent checkpoint failure fails the
// execution; anything else (a transient failure, a stale token, the
// invocation's context ending) is returned as an error so that Lambda
// retries the invocation.
func haltOutcome(cause error) (out wire.InvocationOutput, err error, decided bool) {
	var ce *CheckpointError
	var nd *NonDeterministicError
	switch {
	case cause == nil:
		return wire.InvocationOutput{}, nil, false
	case errors.Is(cause, errSuspended), errors.Is(cause, errNoToken):
		return wire.InvocationOutput{Status: wire.InvocationPending}, nil, true
	case errors.As(cause, &nd):
		return failed(nd), nil, true
	case errors.As(cause, &ce) && ce.Permanent():
		return failed(ce), nil, true
	default:
		return wire.InvocationOutput{}, cause, true
	}
}

// fail records the execution's failure: inline, or through an EXECUTION
// FAIL checkpoint when the error object is too large to return.
func (inv *invocation) fail(execOp wire.Operation, err error) (wire.InvocationOutput, error) {
	out := failed(err)
	if encoded, _ := json.Marshal(out); len(encoded) <= maxInlineResult {
		return out, nil
	}
	update := wire.OperationUpdate{Id: execOp.Id, Type: wire.TypeExecution, Action: wire.ActionFail, Error: out.Error}
	if sendErr := inv.cp.send(nil, update); sendErr != nil {
		if out, err, decided := haltOutcome(inv.cp.haltCause()); decided {
			return out, err
		}
		return wire.InvocationOutput{}, fmt.Errorf("durable: record the execution's failure: %w", sendErr)
	}
	return wire.InvocationOutput{Status: wire.InvocationFailed}, nil
}

func failed(err error) wire.InvocationOutput {
	return wire.InvocationOutput{Status: wire.InvocationFailed, Error: errorObject(err)}
}

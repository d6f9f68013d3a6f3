package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// maxBatchBytes caps one CheckpointDurableExecution request (§3.3).
const maxBatchBytes = 750 * 1024

// errNoToken halts checkpointing when the service answers without a token:
// it accepts nothing more from this invocation, which ends PENDING (§3.4).
var errNoToken = errors.New("durable: the service returned no checkpoint token; this invocation ends and a later one resumes")

// errAbandoned is returned to work whose enclosing batch already completed.
var errAbandoned = errors.New("durable: the enclosing batch completed without this item; its work is abandoned")

// queued is one entry of the checkpoint queue: an update, or a barrier that
// is released once everything queued before it is recorded.
type queued struct {
	update  wire.OperationUpdate
	owner   *scope
	barrier bool
	poll    bool // a barrier that makes a call even with nothing to send
	done    chan error
}

// checkpointer sends updates to the service one call at a time, batching
// whatever queued up while the previous call was in flight, rotating the
// token from every response and merging the operations it returns into the
// store. It knows nothing of the invocation that owns it: it reports changed
// operations through changed and why it stopped through onHalt.
type checkpointer struct {
	client  ExecutionClient
	arn     string
	store   *operationStore
	changed func(ids []string)
	onHalt  func(cause error)
	logger  *slog.Logger

	mu     sync.Mutex
	queue  []*queued
	token  string
	halted error // why checkpointing stopped; nil while running
	wake   chan struct{}
}

// checkpointerConfig is what a checkpointer needs.
type checkpointerConfig struct {
	client ExecutionClient
	arn    string
	token  string // the invocation's seed checkpoint token
	store  *operationStore
	// changed is told which operations a call changed, before the callers
	// waiting on that call are released. Optional.
	changed func(ids []string)
	// onHalt is told, once, why checkpointing stopped, before any caller
	// sees the cause. Optional.
	onHalt func(cause error)
	logger *slog.Logger
}

func newCheckpointer(c checkpointerConfig) *checkpointer {
	cp := &checkpointer{client: c.client, arn: c.arn, token: c.token, store: c.store,
		changed: c.changed, onHalt: c.onHalt, logger: c.logger, wake: make(chan struct{}, 1)}
	if cp.changed == nil {
		cp.changed = func([]string) {}
	}
	if cp.onHalt == nil {
		cp.onHalt = func(error) {}
	}
	if cp.logger == nil {
		cp.logger = slog.New(slog.DiscardHandler)
	}
	return cp
}

// haltCause returns why checkpointing stopped, or nil.
func (cp *checkpointer) haltCause() error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.halted
}

// halt stops checkpointing for the rest of the invocation; the first cause
// wins and is reported to onHalt before queued work fails with it.
func (cp *checkpointer) halt(cause error) {
	cp.mu.Lock()
	first := cp.halted == nil
	if first {
		cp.halted = cause
	}
	q := cp.queue
	cp.queue = nil
	err := cp.halted
	cp.mu.Unlock()
	if first {
		cp.onHalt(err)
	}
	release(q, err)
}

// userError is what an operation sees when checkpointing has stopped.
func userError(cause error) error {
	if errors.Is(cause, errNoToken) {
		return errSuspended
	}
	return cause
}

func (cp *checkpointer) push(e *queued) error {
	cp.mu.Lock()
	if cp.halted != nil {
		err := cp.halted
		cp.mu.Unlock()
		return userError(err)
	}
	cp.queue = append(cp.queue, e)
	cp.mu.Unlock()
	select {
	case cp.wake <- struct{}{}:
	default:
	}
	return nil
}

func (cp *checkpointer) await(e *queued) error {
	if err := cp.push(e); err != nil {
		return err
	}
	if err := <-e.done; err != nil {
		return userError(err)
	}
	return nil
}

// send records u and waits until the service has accepted it.
func (cp *checkpointer) send(owner *scope, u wire.OperationUpdate) error {
	return cp.await(&queued{update: u, owner: owner, done: make(chan error, 1)})
}

// post queues u without waiting; a failure halts checkpointing and surfaces
// at the next synchronous call.
func (cp *checkpointer) post(owner *scope, u wire.OperationUpdate) error {
	return cp.push(&queued{update: u, owner: owner})
}

// flush waits until everything queued so far is recorded.
func (cp *checkpointer) flush() error {
	return cp.await(&queued{barrier: true, done: make(chan error, 1)})
}

// poll asks the service for changes with a checkpoint call, empty unless
// updates are queued.
func (cp *checkpointer) poll() error {
	return cp.await(&queued{barrier: true, poll: true, done: make(chan error, 1)})
}

// run is the single goroutine that talks to the service.
func (cp *checkpointer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			cp.halt(ctx.Err())
			return
		case <-cp.wake:
		}
		for cp.sendNext(ctx) {
		}
	}
}

// sendNext makes one call if there is anything to send; it reports whether
// it should be called again.
func (cp *checkpointer) sendNext(ctx context.Context) bool {
	cp.mu.Lock()
	if cp.halted != nil {
		cp.mu.Unlock()
		return false
	}
	batch, waiters, force := cp.takeBatch()
	token := cp.token
	cp.mu.Unlock()
	if len(batch) == 0 && !force {
		release(waiters, nil)
		return false
	}
	updates := make([]wire.OperationUpdate, len(batch))
	for i, e := range batch {
		updates[i] = e.update
	}
	resp, err := cp.client.Checkpoint(ctx, wire.CheckpointRequest{
		DurableExecutionArn: cp.arn,
		CheckpointToken:     token,
		Updates:             updates,
	})
	if err != nil {
		cause := error(newCheckpointError(err))
		if ctx.Err() != nil {
			cause = ctx.Err()
		}
		// Record the cause before anyone sees the error: the handler may
		// return the moment its waiter is released, and the invocation's
		// outcome must then read a retryable halt, not a handler failure.
		cp.halt(cause)
		release(waiters, cause)
		return false
	}
	terminal := len(updates) > 0 && updates[len(updates)-1].Type == wire.TypeExecution
	cp.mu.Lock()
	cp.token = resp.CheckpointToken
	cp.mu.Unlock()
	changed, absorbErr := cp.absorb(ctx, updates, resp)
	cp.changed(changed)
	if absorbErr != nil {
		// The updates are recorded, but this invocation's view is not
		// complete: nothing more may be decided on it.
		cp.halt(absorbErr)
		release(waiters, nil)
		return false
	}
	if resp.CheckpointToken == "" && !terminal {
		cp.logger.LogAttrs(ctx, slog.LevelWarn, "Checkpoint response contained no CheckpointToken; ending this invocation as PENDING so a later invocation resumes")
		cp.halt(errNoToken)
		release(waiters, errNoToken)
		return false
	}
	release(waiters, nil)
	return true
}

// absorb brings the store up to date after a checkpoint call: the accepted
// updates first, then the operations the service reported (with any
// further pages). It returns the ids that changed.
func (cp *checkpointer) absorb(ctx context.Context, updates []wire.OperationUpdate, resp wire.CheckpointResponse) ([]string, error) {
	now := time.Now()
	ids := make([]string, 0, len(updates))
	for _, u := range updates {
		cp.store.apply(u, now)
		ids = append(ids, u.Id)
	}
	if resp.NewExecutionState == nil {
		return ids, nil
	}
	ids = append(ids, cp.store.merge(resp.NewExecutionState.Operations)...)
	marker := resp.NewExecutionState.NextMarker
	for marker != "" && resp.CheckpointToken != "" {
		page, err := cp.client.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: cp.arn, CheckpointToken: resp.CheckpointToken, Marker: marker, MaxItems: statePageSize})
		if err != nil {
			return ids, newCheckpointError(fmt.Errorf("load changed operations: %w", err))
		}
		ids = append(ids, cp.store.merge(page.Operations)...)
		marker = page.NextMarker
	}
	return ids, nil
}

// release answers every waiter among entries with err.
func release(waiters []*queued, err error) {
	for _, w := range waiters {
		if w.done != nil {
			w.done <- err
		}
	}
}

// takeBatch removes from the queue the next batch the service accepts in
// one call: in order, under the size cap, one update per operation except
// a STEP or CONTEXT START followed by its completion, and an EXECUTION
// update only last. It returns the batch, the entries to release once it is
// recorded, and whether a call is needed even if the batch is empty.
// Updates of abandoned batch items are dropped.
func (cp *checkpointer) takeBatch() (batch, waiters []*queued, force bool) {
	size := len(cp.token) + 100
	seen := make(map[string]wire.OperationAction)
	n := 0
	for ; n < len(cp.queue); n++ {
		e := cp.queue[n]
		if e.barrier {
			waiters = append(waiters, e)
			force = force || e.poll
			continue
		}
		if e.owner != nil && e.owner.isAbandoned() {
			if e.done != nil {
				e.done <- errAbandoned
			}
			continue
		}
		u := e.update
		if prev, dup := seen[u.Id]; dup {
			mayFollow := (u.Type == wire.TypeStep || u.Type == wire.TypeContext) && prev == wire.ActionStart && u.Action != wire.ActionStart
			if !mayFollow {
				break
			}
		}
		est := updateSize(u)
		if len(batch) > 0 && size+est > maxBatchBytes {
			break
		}
		size += est
		seen[u.Id] = u.Action
		batch = append(batch, e)
		waiters = append(waiters, e)
		if u.Type == wire.TypeExecution {
			n++
			break
		}
	}
	cp.queue = append(cp.queue[:0:0], cp.queue[n:]...)
	return batch, waiters, force
}

// updateSize estimates an update's share of the request body.
func updateSize(u wire.OperationUpdate) int {
	n := 160 + len(u.Id) + len(u.ParentId) + len(u.Name) + len(u.SubType) + len(u.Payload)
	if u.Error != nil {
		n += len(u.Error.ErrorType) + len(u.Error.ErrorMessage) + len(u.Error.ErrorData)
		for _, f := range u.Error.StackTrace {
			n += len(f) + 3
		}
	}
	return n
}

package durable

import (
	"context"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// coordinator decides when the invocation suspends. It counts the
// goroutines running workflow code ("active") and the ones blocked on an
// operation that only time or the service can finish (a wait, a retry
// timer, a condition's next check). While some work is active, blocked
// operations are polled with empty checkpoints from their due time on, so
// a timer that fires mid-invocation resumes its goroutine in place (§7.3).
// Once nothing is active, the checkpoint queue is drained and, if every
// goroutine is still blocked, the invocation suspends: blocked operations
// return errSuspended and the invocation answers PENDING (§7.1).
//
// The coordinator knows nothing of the invocation that owns it: it reads
// operations through lookup, and drains, polls and halts checkpointing
// through the functions it is given.
type coordinator struct {
	lookup func(id string) (wire.Operation, bool)
	flush  func() error
	poll   func() error
	halt   func(cause error)

	mu        sync.Mutex
	active    int
	blocked   map[*blocker]struct{}
	suspended bool
	closed    bool // the handler returned: the invocation no longer suspends
	suspendCh chan struct{}
	nudge     chan struct{}
}

// coordinatorDeps is what a coordinator needs from the invocation.
type coordinatorDeps struct {
	// lookup returns an operation as the invocation now sees it.
	lookup func(id string) (wire.Operation, bool)
	// flush waits until every queued checkpoint is recorded.
	flush func() error
	// poll makes a checkpoint call to learn of changes.
	poll func() error
	// halt stops checkpointing; the coordinator calls it with errSuspended
	// before any blocked goroutine learns of the suspension.
	halt func(cause error)
}

// blocker is one goroutine waiting for an operation to change.
type blocker struct {
	id       string
	ready    func(wire.Operation) bool
	nextPoll time.Time
	polls    int
	woken    chan struct{}
}

func newCoordinator(d coordinatorDeps) *coordinator {
	return &coordinator{
		lookup:    d.lookup,
		flush:     d.flush,
		poll:      d.poll,
		halt:      d.halt,
		blocked:   make(map[*blocker]struct{}),
		suspendCh: make(chan struct{}),
		nudge:     make(chan struct{}, 1),
	}
}

// enter counts one more goroutine running workflow code.
func (c *coordinator) enter() {
	c.mu.Lock()
	c.active++
	c.mu.Unlock()
}

// leave counts one goroutine fewer; the last one out triggers a look at
// whether the invocation should suspend.
func (c *coordinator) leave() {
	c.mu.Lock()
	c.active--
	idle := c.active == 0
	c.mu.Unlock()
	if idle {
		c.poke()
	}
}

func (c *coordinator) poke() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// close ends the coordinator's say over the invocation once the handler
// has returned: it never suspends after that. It reports whether it had
// already suspended.
func (c *coordinator) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.suspended
}

// block waits until the operation with wire id id satisfies ready. due is
// when the service is expected to change it (zero if unknown). It returns
// errSuspended when the invocation suspends first.
func (c *coordinator) block(ctx context.Context, id string, due time.Time, ready func(wire.Operation) bool) error {
	b := &blocker{id: id, ready: ready, nextPoll: due, woken: make(chan struct{})}
	c.mu.Lock()
	if c.suspended {
		c.mu.Unlock()
		return errSuspended
	}
	if op, ok := c.lookup(id); ok && ready(op) {
		c.mu.Unlock()
		return nil
	}
	if b.nextPoll.IsZero() {
		b.nextPoll = time.Now().Add(time.Second)
	}
	c.blocked[b] = struct{}{}
	c.active--
	c.mu.Unlock()
	c.poke()
	select {
	case <-b.woken:
		return nil
	case <-c.suspendCh:
		return errSuspended
	case <-ctx.Done():
		return ctx.Err()
	}
}

// changed wakes the goroutines blocked on operations that changed.
func (c *coordinator) changed(ids []string) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.blocked) == 0 || c.suspended {
		return
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	for b := range c.blocked {
		if !set[b.id] {
			continue
		}
		if op, ok := c.lookup(b.id); ok && b.ready(op) {
			delete(c.blocked, b)
			c.active++
			close(b.woken)
		}
	}
}

// run watches the counts until the invocation ends or suspends.
func (c *coordinator) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.nudge:
		case <-timer.C:
			c.pollDue(ctx)
		}
		c.mu.Lock()
		active, blocked := c.active, len(c.blocked)
		next := c.nextPoll()
		c.mu.Unlock()
		if blocked == 0 {
			timer.Stop()
			continue
		}
		if active == 0 {
			if c.trySuspend() {
				return
			}
			continue
		}
		timer.Reset(max(time.Until(next), 0))
	}
}

// nextPoll returns the earliest poll time of the blocked goroutines.
func (c *coordinator) nextPoll() time.Time {
	var next time.Time
	for b := range c.blocked {
		if next.IsZero() || b.nextPoll.Before(next) {
			next = b.nextPoll
		}
	}
	return next
}

// trySuspend drains the checkpoint queue (its responses may wake someone)
// and suspends if all work is still blocked. Checkpointing halts with
// errSuspended before the blocked goroutines are released, so whoever
// decides the invocation's outcome after they unwind reads the suspension.
func (c *coordinator) trySuspend() bool {
	_ = c.flush()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != 0 || len(c.blocked) == 0 || c.suspended || c.closed {
		return false
	}
	c.suspended = true
	c.halt(errSuspended)
	close(c.suspendCh)
	return true
}

// pollDue sends an empty checkpoint when a blocked operation is due and
// pushes each due blocker's next poll back: 1 s after the first unchanged
// poll, then one second more per poll up to 10 s, as the official SDKs do.
// No poll starts within a second of the invocation's deadline.
func (c *coordinator) pollDue(ctx context.Context) {
	now := time.Now()
	if deadline, ok := ctx.Deadline(); ok && deadline.Sub(now) < time.Second {
		return
	}
	c.mu.Lock()
	due := false
	for b := range c.blocked {
		if !b.nextPoll.After(now) {
			due = true
			b.polls++
			b.nextPoll = now.Add(time.Duration(min(b.polls, 10)) * time.Second)
		}
	}
	c.mu.Unlock()
	if due {
		_ = c.poll()
	}
}

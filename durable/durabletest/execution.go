package durabletest

import (
	"fmt"
	"slices"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// execConfig is what a runner asks of one execution.
type execConfig struct {
	name       string
	timeout    time.Duration
	crashAfter []int
	faults     map[int]Fault
	faultOn    []*updateFault
}

// startExecution creates an execution whose EXECUTION operation carries
// input, and records ExecutionStarted.
func (s *Service) startExecution(cfg execConfig, input string) *execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newUUID()
	name := cfg.name
	if name == "" {
		name = s.newUUID()
	}
	arn := s.FunctionArn() + "/durable-execution/" + name + "/" + id
	e := &execution{
		svc:       s,
		arn:       arn,
		name:      name,
		id:        id,
		input:     input,
		status:    StatusRunning,
		index:     map[string]*opRecord{},
		timers:    map[*opRecord]struct{}{},
		markers:   map[string]*cursor{},
		startTime: s.cfg.startTime,
		clock:     s.cfg.startTime,
		timeout:   cfg.timeout,
		faults:    cfg.faults,
		faultOn:   cfg.faultOn,
		crash:     map[int]bool{},
	}
	for _, n := range cfg.crashAfter {
		e.crash[n] = true
	}
	if cfg.timeout > 0 {
		e.deadline = e.startTime.Add(cfg.timeout)
	}
	rec := &opRecord{op: wire.Operation{
		Id:               id,
		Name:             name,
		Type:             wire.TypeExecution,
		Status:           wire.StatusStarted,
		StartTimestamp:   wire.At(e.startTime),
		ExecutionDetails: &wire.ExecutionDetails{InputPayload: input},
	}}
	e.insert(rec)
	e.execOp = rec
	ev := Event{EventType: EventExecutionStarted, Id: id,
		ExecutionStartedDetails: &ExecutionStartedDetails{Input: &EventPayload{Payload: input}, ExecutionTimeout: int(cfg.timeout / time.Second)}}
	e.record(ev, e.startTime)
	s.execs[arn] = e
	return e
}

// execution is one durable execution. All fields are guarded by svc.mu.
type execution struct {
	svc *Service

	arn, name, id string
	input         string

	ops    []*opRecord // in start order
	index  map[string]*opRecord
	execOp *opRecord
	timers map[*opRecord]struct{} // WAIT STARTED, STEP PENDING, CALLBACK with a timeout

	token   string // "" accepts nothing
	history []Event
	markers map[string]*cursor

	status    Status
	result    string
	err       *wire.ErrorObject
	startTime time.Time
	endTime   time.Time
	// terminalEvent is the ExecutionSucceeded/Failed event of an EXECUTION
	// checkpoint, recorded when the invocation ends.
	terminalEvent *Event

	// Virtual clock: clock is the virtual time when the real clock read
	// anchor; while running it advances with real time.
	clock    time.Time
	anchor   time.Time
	running  bool
	timeout  time.Duration
	deadline time.Time

	// dirty lists the operations changed since the last checkpoint response;
	// unseen the ones changed by the service (timers) that no response or
	// invocation payload has delivered yet.
	dirty     []*opRecord
	dirtyGen  uint64
	unseen    []string
	unseenSet map[string]bool

	calls      int     // checkpoint calls so far
	lastAnswer *answer // the latest accepted call, if it carried a ClientToken
	faults     map[int]Fault
	faultOn    []*updateFault
	crash      map[int]bool

	inv                *invocation
	invocations        int
	emptyPendingStreak int
}

type opRecord struct {
	op          wire.Operation
	seq         int
	dirtyGen    uint64
	waitSeconds int
	// callback timers
	timeoutAt, heartbeatAt time.Time
	heartbeatSeconds       int
	// invoke is what a CHAINED_INVOKE START asked for.
	invoke *invokeCall
}

// cursor is the rest of a paginated listing.
type cursor struct {
	recs []*opRecord
}

// invocation is the invocation in progress.
type invocation struct {
	requestID string
	start     time.Time
	// abandoned is closed when the service gives up on the invocation (an
	// injected crash, an execution timeout); reason says why.
	abandoned chan struct{}
	reason    *wire.ErrorObject
}

func (e *execution) now() time.Time {
	if e.running {
		return e.clock.Add(time.Since(e.anchor)).Truncate(time.Millisecond)
	}
	return e.clock
}

func (e *execution) insert(r *opRecord) {
	r.seq = len(e.ops)
	e.ops = append(e.ops, r)
	e.index[r.op.Id] = r
}

func (e *execution) record(ev Event, at time.Time) {
	ev.EventId = len(e.history) + 1
	ev.EventTimestamp = at.UTC()
	e.history = append(e.history, ev)
}

func (e *execution) opEvent(t EventType, r *opRecord) Event {
	return Event{EventType: t, Id: r.op.Id, Name: r.op.Name, ParentId: r.op.ParentId, SubType: r.op.SubType}
}

func (e *execution) markDirty(r *opRecord) {
	if r.dirtyGen != e.dirtyGen {
		r.dirtyGen = e.dirtyGen
		e.dirty = append(e.dirty, r)
	}
}

func (e *execution) clearDirty() {
	e.dirtyGen++
	e.dirty = e.dirty[:0]
}

func (e *execution) markUnseen(r *opRecord) {
	if e.unseenSet == nil {
		e.unseenSet = map[string]bool{}
	}
	if !e.unseenSet[r.op.Id] {
		e.unseenSet[r.op.Id] = true
		e.unseen = append(e.unseen, r.op.Id)
	}
}

func (e *execution) clearUnseen() {
	e.unseen = nil
	e.unseenSet = nil
}

// fireTimers completes every timer due at or before now, in due order.
func (e *execution) fireTimers(now time.Time) (fired int) {
	if len(e.timers) == 0 {
		return 0
	}
	var due []*opRecord
	for r := range e.timers {
		if at, ok := timerDue(r); ok && !at.After(now) {
			due = append(due, r)
		}
	}
	slices.SortFunc(due, func(a, b *opRecord) int {
		at, _ := timerDue(a)
		bt, _ := timerDue(b)
		if c := at.Compare(bt); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for _, r := range due {
		at, _ := timerDue(r)
		e.fire(r, at, now)
	}
	return len(due)
}

// timerDue returns when r's timer is due.
func timerDue(r *opRecord) (time.Time, bool) {
	switch {
	case r.op.Type == wire.TypeWait && r.op.Status == wire.StatusStarted:
		return r.op.WaitDetails.ScheduledEndTimestamp.Time, true
	case r.op.Type == wire.TypeStep && r.op.Status == wire.StatusPending:
		return r.op.StepDetails.NextAttemptTimestamp.Time, true
	case r.op.Type == wire.TypeCallback && r.op.Status == wire.StatusStarted:
		switch {
		case !r.timeoutAt.IsZero() && !r.heartbeatAt.IsZero():
			if r.heartbeatAt.Before(r.timeoutAt) {
				return r.heartbeatAt, true
			}
			return r.timeoutAt, true
		case !r.timeoutAt.IsZero():
			return r.timeoutAt, true
		case !r.heartbeatAt.IsZero():
			return r.heartbeatAt, true
		}
	}
	return time.Time{}, false
}

func (e *execution) fire(r *opRecord, at, now time.Time) {
	delete(e.timers, r)
	switch r.op.Type {
	case wire.TypeWait:
		r.op.Status = wire.StatusSucceeded
		r.op.EndTimestamp = wire.At(at)
		ev := e.opEvent(EventWaitSucceeded, r)
		ev.WaitSucceededDetails = &WaitSucceededDetails{Duration: r.waitSeconds}
		e.record(ev, now)
	case wire.TypeStep:
		r.op.Status = wire.StatusReady
		r.op.StepDetails.NextAttemptTimestamp = wire.Timestamp{}
	case wire.TypeCallback:
		heartbeat := !r.heartbeatAt.IsZero() && at.Equal(r.heartbeatAt) && (r.timeoutAt.IsZero() || r.heartbeatAt.Before(r.timeoutAt))
		eo := &wire.ErrorObject{ErrorType: "Callback.Timeout", ErrorMessage: "Callback timed out"}
		if heartbeat {
			eo = &wire.ErrorObject{ErrorType: "Callback.Heartbeat", ErrorMessage: "Callback timed out on heartbeat"}
		}
		r.op.Status = wire.StatusTimedOut
		r.op.EndTimestamp = wire.At(at)
		r.op.CallbackDetails.Error = eo
		ev := e.opEvent(EventCallbackTimedOut, r)
		ev.CallbackTimedOutDetails = &ErrorDetails{Error: &EventError{Payload: *cloneErr(eo)}}
		e.record(ev, now)
	}
	e.markDirty(r)
	e.markUnseen(r)
}

// nextTimer returns the earliest due time of a pending timer.
func (e *execution) nextTimer() (time.Time, bool) {
	var best time.Time
	found := false
	for r := range e.timers {
		if at, ok := timerDue(r); ok && (!found || at.Before(best)) {
			best, found = at, true
		}
	}
	return best, found
}

// hasPending reports whether an operation is waiting on the service: a
// STEP retry (PENDING or READY), a WAIT, CALLBACK or CHAINED_INVOKE in
// progress.
func (e *execution) hasPending() bool {
	for _, r := range e.ops {
		switch r.op.Type {
		case wire.TypeStep:
			if r.op.Status == wire.StatusPending || r.op.Status == wire.StatusReady {
				return true
			}
		case wire.TypeWait, wire.TypeCallback, wire.TypeChainedInvoke:
			if r.op.Status == wire.StatusStarted || r.op.Status == wire.StatusPending || r.op.Status == wire.StatusReady {
				return true
			}
		}
	}
	return false
}

// waitsExternally reports whether a CALLBACK or CHAINED_INVOKE is in
// progress.
func (e *execution) waitsExternally() bool {
	for _, r := range e.ops {
		if (r.op.Type == wire.TypeCallback || r.op.Type == wire.TypeChainedInvoke) && r.op.Status == wire.StatusStarted {
			return true
		}
	}
	return false
}

// hasReady reports whether an operation can make progress right now.
func (e *execution) hasReady() bool {
	for _, r := range e.ops {
		if r.op.Status == wire.StatusReady {
			return true
		}
	}
	return false
}

// visibleOps lists the operations a state page shows: all of them, except
// the descendants of a completed CONTEXT that was not completed with
// ReplayChildren.
func (e *execution) visibleOps() []*opRecord {
	out := make([]*opRecord, 0, len(e.ops))
	var hidden map[string]bool
	for _, r := range e.ops {
		if p := r.op.ParentId; p != "" {
			if hidden[p] {
				hidden[r.op.Id] = true
				continue
			}
			if pr, ok := e.index[p]; ok && pr.op.Type == wire.TypeContext && pr.op.Status.Terminal() &&
				(pr.op.ContextDetails == nil || !pr.op.ContextDetails.ReplayChildren) {
				if hidden == nil {
					hidden = map[string]bool{}
				}
				hidden[r.op.Id] = true
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// page returns the first n records of recs as operations and, if more
// remain, a marker for the rest.
func (e *execution) page(recs []*opRecord, n int) wire.ExecutionState {
	st := wire.ExecutionState{Operations: []wire.Operation{}}
	if n > len(recs) {
		n = len(recs)
	}
	if n < 0 {
		n = 0
	}
	st.Operations = make([]wire.Operation, n)
	for i, r := range recs[:n] {
		st.Operations[i] = cloneOp(&r.op)
	}
	if n < len(recs) {
		m := e.svc.newToken()
		e.markers[m] = &cursor{recs: recs[n:]}
		st.NextMarker = m
	}
	return st
}

func (e *execution) getState(req wire.StateRequest) (wire.ExecutionState, error) {
	if req.MaxItems < 0 || req.MaxItems > 1000 {
		return wire.ExecutionState{}, validationError(fmt.Sprintf("Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000", req.MaxItems))
	}
	if err := e.checkToken(req.CheckpointToken); err != nil {
		return wire.ExecutionState{}, err
	}
	n := req.MaxItems
	if n == 0 {
		n = 100
	}
	n = min(n, e.svc.cfg.pageSize)
	recs := e.visibleOps()
	if req.Marker != "" {
		c, ok := e.markers[req.Marker]
		if !ok {
			return wire.ExecutionState{}, invalidParam("Invalid marker.")
		}
		delete(e.markers, req.Marker)
		recs = c.recs
	}
	return e.page(recs, n), nil
}

// timeOut ends the execution with TIMED_OUT.
func (e *execution) timeOut(now time.Time) {
	if e.status != StatusRunning {
		return
	}
	if !e.deadline.IsZero() && now.After(e.deadline) {
		now = e.deadline
	}
	eo := &wire.ErrorObject{ErrorType: "Execution.TimedOut", ErrorMessage: fmt.Sprintf("The durable execution exceeded its execution timeout of %d seconds.", int(e.timeout/time.Second))}
	e.abandon(&wire.ErrorObject{ErrorType: "Sandbox.Timedout", ErrorMessage: "The durable execution timed out during the invocation."})
	e.status = StatusTimedOut
	e.err = eo
	e.endTime = now
	e.execOp.op.Status = wire.StatusTimedOut
	e.execOp.op.EndTimestamp = wire.At(now)
	e.token = ""
	ev := Event{EventType: EventExecutionTimedOut, Id: e.id, ExecutionTimedOutDetails: &ErrorDetails{Error: &EventError{Payload: *cloneErr(eo)}}}
	if e.inv != nil {
		// Recorded after the invocation's InvocationCompleted.
		e.terminalEvent = &ev
		return
	}
	e.record(ev, now)
}

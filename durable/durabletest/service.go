package durabletest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Service is an in-memory emulation of the Lambda durable execution
// service. It holds any number of executions, keyed by ARN, each with its
// own operation log, checkpoint token, virtual clock and history.
//
// Service implements durable.ExecutionClient; it is safe for concurrent use.
// Errors it returns are *wire.APIError values with the service's error code,
// message and HTTP status.
type Service struct {
	cfg serviceConfig

	mu    sync.Mutex
	rng   *rand.Rand
	execs map[string]*execution
}

// ServiceOption configures a Service.
type ServiceOption func(*serviceConfig)

type serviceConfig struct {
	pageSize        int
	initialPageSize int
	startTime       time.Time
	region          string
	account         string
	functionName    string
	qualifier       string
}

// DefaultPageSize is the number of operations per page unless WithPageSize
// says otherwise (the most GetDurableExecutionState returns).
const DefaultPageSize = 1000

// WithPageSize sets how many operations one page holds: in the initial
// invocation state, in GetDurableExecutionState answers (when the request
// asks for more or for the default) and in checkpoint responses. Small values
// exercise a runtime's pagination. Default DefaultPageSize.
func WithPageSize(n int) ServiceOption { return func(c *serviceConfig) { c.pageSize = n } }

// WithInitialPageSize sets how many operations the invocation payload's
// InitialExecutionState holds, independently of WithPageSize. Zero sends an
// empty first page with a NextMarker, as the service does when the state
// does not fit the payload limit. Default: the page size.
func WithInitialPageSize(n int) ServiceOption {
	return func(c *serviceConfig) { c.initialPageSize = n }
}

// WithStartTime sets the virtual time at which executions start (default:
// the wall clock when the Service is created, truncated to milliseconds).
func WithStartTime(t time.Time) ServiceOption { return func(c *serviceConfig) { c.startTime = t } }

// WithFunction sets the region, account and qualified function name used in
// execution ARNs (default us-east-1, 123456789012, "durable-function",
// "$LATEST").
func WithFunction(region, account, functionName, qualifier string) ServiceOption {
	return func(c *serviceConfig) {
		c.region, c.account, c.functionName, c.qualifier = region, account, functionName, qualifier
	}
}

// NewService returns an empty Service.
func NewService(opts ...ServiceOption) *Service {
	cfg := serviceConfig{
		pageSize:        DefaultPageSize,
		initialPageSize: -1,
		startTime:       time.Now().UTC(),
		region:          "us-east-1",
		account:         "123456789012",
		functionName:    "durable-function",
		qualifier:       "$LATEST",
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.pageSize <= 0 {
		cfg.pageSize = DefaultPageSize
	}
	if cfg.initialPageSize < 0 {
		cfg.initialPageSize = cfg.pageSize
	}
	cfg.startTime = cfg.startTime.Truncate(time.Millisecond)
	return &Service{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
		execs: map[string]*execution{},
	}
}

var _ durable.ExecutionClient = (*Service)(nil)

// FunctionArn returns the qualified ARN of the emulated function.
func (s *Service) FunctionArn() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", s.cfg.region, s.cfg.account, s.cfg.functionName, s.cfg.qualifier)
}

// Checkpoint implements CheckpointDurableExecution.
func (s *Service) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(req.DurableExecutionArn)
	if err != nil {
		return wire.CheckpointResponse{}, err
	}
	return e.checkpoint(req)
}

// GetExecutionState implements GetDurableExecutionState.
func (s *Service) GetExecutionState(ctx context.Context, req wire.StateRequest) (wire.ExecutionState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(req.DurableExecutionArn)
	if err != nil {
		return wire.ExecutionState{}, err
	}
	return e.getState(req)
}

// History returns the history events recorded so far for the execution, as
// GetDurableExecutionHistory would.
func (s *Service) History(executionArn string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return nil, err
	}
	return slices.Clone(e.history), nil
}

// Operations returns every operation of the execution in start order,
// including the children of completed contexts.
func (s *Service) Operations(executionArn string) ([]wire.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Operation, len(e.ops))
	for i, r := range e.ops {
		out[i] = cloneOp(&r.op)
	}
	return out, nil
}

// ExecutionInfo is what GetDurableExecution reports about an execution.
type ExecutionInfo struct {
	DurableExecutionArn  string
	DurableExecutionName string
	FunctionArn          string
	Status               Status
	InputPayload         string
	Result               string
	Error                *wire.ErrorObject
	StartTimestamp       time.Time
	EndTimestamp         time.Time
}

// Execution returns the execution's status, input, result and error.
func (s *Service) Execution(executionArn string) (ExecutionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return ExecutionInfo{}, err
	}
	info := ExecutionInfo{
		DurableExecutionArn:  e.arn,
		DurableExecutionName: e.name,
		FunctionArn:          s.FunctionArn(),
		Status:               e.status,
		InputPayload:         e.input,
		Result:               e.result,
		Error:                cloneErr(e.err),
		StartTimestamp:       e.startTime,
		EndTimestamp:         e.endTime,
	}
	return info, nil
}

// Now returns the execution's current virtual time.
func (s *Service) Now(executionArn string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return time.Time{}, err
	}
	return e.now(), nil
}

func (s *Service) lookup(arn string) (*execution, error) {
	e, ok := s.execs[arn]
	if !ok {
		return nil, &wire.APIError{Code: "ResourceNotFoundException", Message: "The durable execution " + arn + " does not exist.", StatusCode: 404}
	}
	return e, nil
}

// newToken returns a fresh checkpoint token: 24 random bytes in standard
// base64, which fits the token pattern [A-Za-z0-9+/]+={0,2}.
func (s *Service) newToken() string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], s.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], s.rng.Uint64())
	binary.LittleEndian.PutUint64(b[16:], s.rng.Uint64())
	return base64.StdEncoding.EncodeToString(b[:])
}

func (s *Service) newUUID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], s.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], s.rng.Uint64())
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

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

	calls   int // checkpoint calls so far
	faults  map[int]Fault
	faultOn []*updateFault
	crash   map[int]bool

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

func (e *execution) checkToken(token string) error {
	if token == "" {
		return validationError("Value at 'checkpointToken' failed to satisfy constraint: Member must not be null")
	}
	if e.token == "" || token != e.token {
		return invalidParam("Invalid checkpoint token: the token is not the execution's current token.")
	}
	return nil
}

func (e *execution) checkpoint(req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	e.calls++
	n := e.calls
	fault := e.faultFor(n, req.Updates)
	if fault != 0 {
		switch fault {
		case FaultThrottle:
			return wire.CheckpointResponse{}, &wire.APIError{Code: "TooManyRequestsException", Message: "Rate exceeded", StatusCode: 429}
		case FaultServerError:
			return wire.CheckpointResponse{}, &wire.APIError{Code: "ServiceException", Message: "Internal service error (injected fault).", StatusCode: 500}
		case FaultStaleToken:
			return wire.CheckpointResponse{}, invalidParam("Invalid checkpoint token: superseded by a newer invocation (injected fault).")
		}
	}
	if err := e.checkToken(req.CheckpointToken); err != nil {
		return wire.CheckpointResponse{}, err
	}
	now := e.now()
	if !e.deadline.IsZero() && now.After(e.deadline) {
		e.timeOut(now)
		return wire.CheckpointResponse{}, invalidParam("Invalid checkpoint token: the execution timed out.")
	}
	if err := e.validate(req.Updates); err != nil {
		return wire.CheckpointResponse{}, err
	}
	e.fireTimers(now)
	terminal := false
	for i := range req.Updates {
		if e.apply(&req.Updates[i], now) {
			terminal = true
		}
	}
	resp := wire.CheckpointResponse{}
	// The response carries what changed since the last one, paginated.
	st := e.page(e.dirty, e.svc.cfg.pageSize)
	resp.NewExecutionState = &st
	for _, r := range e.dirty {
		if e.unseenSet[r.op.Id] {
			delete(e.unseenSet, r.op.Id)
			e.unseen = slices.DeleteFunc(e.unseen, func(id string) bool { return id == r.op.Id })
		}
	}
	e.clearDirty()
	switch {
	case terminal:
		e.token = ""
	case fault == FaultNoToken:
		e.token = ""
	default:
		e.token = e.svc.newToken()
		resp.CheckpointToken = e.token
	}
	if e.crash[n] && e.inv != nil {
		e.abandon(&wire.ErrorObject{ErrorType: "Runtime.ExitError", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason (injected crash after checkpoint %d)", e.inv.requestID, n)})
	}
	return resp, nil
}

// faultFor returns the fault injected into checkpoint call n carrying
// updates, or 0: a fault by call number first, else the first unfired
// WithCheckpointFaultOn whose predicate matches one of the updates.
func (e *execution) faultFor(n int, updates []wire.OperationUpdate) Fault {
	if f, ok := e.faults[n]; ok {
		return f
	}
	for _, uf := range e.faultOn {
		if uf.fired {
			continue
		}
		for _, u := range updates {
			if uf.match(u) {
				uf.fired = true
				return uf.fault
			}
		}
	}
	return 0
}

// abandon gives up on the current invocation: its token stops working and
// the runner is told to stop waiting for it.
func (e *execution) abandon(reason *wire.ErrorObject) {
	e.token = ""
	if e.inv != nil && e.inv.reason == nil {
		e.inv.reason = reason
		close(e.inv.abandoned)
	}
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

// apply applies one validated update; it reports whether the update ended
// the execution.
func (e *execution) apply(u *wire.OperationUpdate, now time.Time) bool {
	ts := wire.At(now)
	if u.Type == wire.TypeExecution {
		r := e.execOp
		e.endTime = now
		r.op.EndTimestamp = ts
		if u.Action == wire.ActionSucceed {
			r.op.Status = wire.StatusSucceeded
			e.status = StatusSucceeded
			e.result = u.Payload
			e.terminalEvent = &Event{EventType: EventExecutionSucceeded, Id: e.id,
				ExecutionSucceededDetails: &ResultDetails{Result: &EventPayload{Payload: u.Payload}}}
		} else {
			r.op.Status = wire.StatusFailed
			e.status = StatusFailed
			e.err = cloneErr(u.Error)
			e.terminalEvent = &Event{EventType: EventExecutionFailed, Id: e.id,
				ExecutionFailedDetails: &ErrorDetails{Error: eventError(u.Error)}}
		}
		e.markDirty(r)
		return true
	}
	r, exists := e.index[u.Id]
	if !exists {
		r = &opRecord{op: wire.Operation{
			Id: u.Id, ParentId: u.ParentId, Name: u.Name, Type: u.Type, SubType: u.SubType,
			StartTimestamp: ts,
		}}
		e.insert(r)
	}
	e.markDirty(r)
	switch u.Type {
	case wire.TypeStep:
		if r.op.StepDetails == nil {
			r.op.StepDetails = &wire.StepDetails{}
		}
		d := r.op.StepDetails
		attempt := d.Attempt + 1
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepStarted, r)
			ev.StepStartedDetails = &EmptyDetails{}
			e.record(ev, now)
		case wire.ActionSucceed:
			r.op.Status = wire.StatusSucceeded
			r.op.EndTimestamp = ts
			d.Result = u.Payload
			d.Error = nil
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepSucceeded, r)
			ev.StepSucceededDetails = &StepSucceededDetails{Result: &EventPayload{Payload: u.Payload}, RetryDetails: &RetryDetails{CurrentAttempt: attempt}}
			e.record(ev, now)
		case wire.ActionFail:
			r.op.Status = wire.StatusFailed
			r.op.EndTimestamp = ts
			d.Error = cloneErr(u.Error)
			d.NextAttemptTimestamp = wire.Timestamp{}
			ev := e.opEvent(EventStepFailed, r)
			ev.StepFailedDetails = &StepFailedDetails{Error: eventError(u.Error), RetryDetails: &RetryDetails{CurrentAttempt: attempt}}
			e.record(ev, now)
		case wire.ActionRetry:
			delay := int(u.StepOptions.NextAttemptDelaySeconds)
			r.op.Status = wire.StatusPending
			d.Attempt = attempt
			d.Result = u.Payload
			d.Error = cloneErr(u.Error)
			d.NextAttemptTimestamp = wire.At(now.Add(time.Duration(delay) * time.Second))
			e.timers[r] = struct{}{}
			rd := &RetryDetails{CurrentAttempt: attempt, NextAttemptDelaySeconds: &delay}
			if u.Error != nil {
				ev := e.opEvent(EventStepFailed, r)
				ev.StepFailedDetails = &StepFailedDetails{Error: eventError(u.Error), RetryDetails: rd}
				e.record(ev, now)
			} else {
				ev := e.opEvent(EventStepSucceeded, r)
				ev.StepSucceededDetails = &StepSucceededDetails{Result: &EventPayload{Payload: u.Payload}, RetryDetails: rd}
				e.record(ev, now)
			}
		}
	case wire.TypeWait:
		switch u.Action {
		case wire.ActionStart:
			secs := int(u.WaitOptions.WaitSeconds)
			r.op.Status = wire.StatusStarted
			r.waitSeconds = secs
			end := now.Add(time.Duration(secs) * time.Second)
			r.op.WaitDetails = &wire.WaitDetails{ScheduledEndTimestamp: wire.At(end)}
			e.timers[r] = struct{}{}
			ev := e.opEvent(EventWaitStarted, r)
			ev.WaitStartedDetails = &WaitStartedDetails{Duration: secs, ScheduledEndTimestamp: end.UTC()}
			e.record(ev, now)
		case wire.ActionCancel:
			delete(e.timers, r)
			r.op.Status = wire.StatusCancelled
			r.op.EndTimestamp = ts
			ev := e.opEvent(EventWaitCancelled, r)
			ev.WaitCancelledDetails = &ErrorDetails{Error: eventErrorOrNil(u.Error)}
			e.record(ev, now)
		}
	case wire.TypeContext:
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			ev := e.opEvent(EventContextStarted, r)
			ev.ContextStartedDetails = &EmptyDetails{}
			e.record(ev, now)
		case wire.ActionSucceed:
			r.op.Status = wire.StatusSucceeded
			r.op.EndTimestamp = ts
			r.op.ContextDetails = &wire.ContextDetails{Result: u.Payload, ReplayChildren: u.ContextOptions != nil && u.ContextOptions.ReplayChildren}
			ev := e.opEvent(EventContextSucceeded, r)
			ev.ContextSucceededDetails = &ResultDetails{Result: &EventPayload{Payload: u.Payload}}
			e.record(ev, now)
		case wire.ActionFail:
			r.op.Status = wire.StatusFailed
			r.op.EndTimestamp = ts
			r.op.ContextDetails = &wire.ContextDetails{Error: cloneErr(u.Error)}
			ev := e.opEvent(EventContextFailed, r)
			ev.ContextFailedDetails = &ErrorDetails{Error: eventError(u.Error)}
			e.record(ev, now)
		}
	case wire.TypeCallback:
		// START only.
		r.op.Status = wire.StatusStarted
		r.op.CallbackDetails = &wire.CallbackDetails{CallbackId: e.svc.newToken()}
		var timeout, heartbeat int
		if o := u.CallbackOptions; o != nil {
			timeout, heartbeat = int(o.TimeoutSeconds), int(o.HeartbeatTimeoutSeconds)
		}
		if timeout > 0 {
			r.timeoutAt = now.Add(time.Duration(timeout) * time.Second)
		}
		if heartbeat > 0 {
			r.heartbeatSeconds = heartbeat
			r.heartbeatAt = now.Add(time.Duration(heartbeat) * time.Second)
		}
		if timeout > 0 || heartbeat > 0 {
			e.timers[r] = struct{}{}
		}
		ev := e.opEvent(EventCallbackStarted, r)
		ev.CallbackStartedDetails = &CallbackStartedDetails{CallbackId: r.op.CallbackDetails.CallbackId, Timeout: timeout, HeartbeatTimeout: heartbeat}
		e.record(ev, now)
	case wire.TypeChainedInvoke:
		switch u.Action {
		case wire.ActionStart:
			r.op.Status = wire.StatusStarted
			r.op.ChainedInvokeDetails = &wire.ChainedInvokeDetails{}
			ev := e.opEvent(EventChainedInvokeStarted, r)
			d := &ChainedInvokeStartedDetails{Input: &EventPayload{Payload: u.Payload}}
			if o := u.ChainedInvokeOptions; o != nil {
				d.FunctionName, d.TenantId = o.FunctionName, o.TenantId
			}
			ev.ChainedInvokeStartedDetails = d
			e.record(ev, now)
		case wire.ActionCancel:
			r.op.Status = wire.StatusCancelled
			r.op.EndTimestamp = ts
			ev := e.opEvent(EventChainedInvokeStopped, r)
			ev.ChainedInvokeStoppedDetails = &ErrorDetails{Error: eventErrorOrNil(u.Error)}
			e.record(ev, now)
		}
	}
	return false
}

// beginInvocation starts an invocation: a fresh seed token, the first page
// of state, the ids the service changed since the last invocation, and the
// virtual clock running with real time.
func (e *execution) beginInvocation() (wire.InvocationInput, *invocation) {
	e.invocations++
	e.token = e.svc.newToken()
	e.markers = map[string]*cursor{}
	e.clearDirty()
	in := wire.InvocationInput{
		DurableExecutionArn:   e.arn,
		CheckpointToken:       e.token,
		UpdatedOperationIds:   e.unseen,
		InitialExecutionState: e.page(e.visibleOps(), e.svc.cfg.initialPageSize),
	}
	e.clearUnseen()
	inv := &invocation{requestID: e.svc.newUUID(), start: e.clock, abandoned: make(chan struct{})}
	e.inv = inv
	e.anchor = time.Now()
	e.running = true
	return in, inv
}

// endInvocation applies the invocation's outcome: its response (out), or
// the error it failed with (invErr, for an error response, a crash or a
// timeout). It records InvocationCompleted and, if the execution ended, the
// execution's terminal event.
//
// It reports whether the invocation failed (so Lambda would retry it).
func (e *execution) endInvocation(inv *invocation, out []byte, invErr *wire.ErrorObject) (failed bool) {
	now := e.now()
	e.clock = now
	e.running = false
	if e.inv == inv {
		e.inv = nil
	}
	if inv.reason != nil {
		invErr = inv.reason
	}
	if invErr == nil && e.status == StatusRunning {
		invErr = e.applyOutput(out, now)
	} else if invErr == nil {
		e.emptyPendingStreak = 0
	}
	ic := &InvocationCompletedDetails{StartTimestamp: inv.start.UTC(), EndTimestamp: now.UTC(), RequestId: inv.requestID}
	if invErr != nil {
		ic.Error = &EventError{Payload: *cloneErr(invErr)}
	}
	e.record(Event{EventType: EventInvocationCompleted, InvocationCompletedDetails: ic}, now)
	if e.terminalEvent != nil {
		e.record(*e.terminalEvent, now)
		e.terminalEvent = nil
	}
	e.token = ""
	return invErr != nil
}

const maxEmptyPendingResponses = 4

var errNoPending = &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "Cannot return PENDING status with no pending operations."}

// applyOutput applies an invocation response (§1.3); it returns the
// invocation's error if the response was rejected.
func (e *execution) applyOutput(out []byte, now time.Time) *wire.ErrorObject {
	var o wire.InvocationOutput
	if err := json.Unmarshal(out, &o); err != nil {
		return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "The durable function returned an invalid response: " + err.Error()}
	}
	switch o.Status {
	case wire.InvocationSucceeded:
		e.emptyPendingStreak = 0
		if o.Error != nil {
			return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "A SUCCEEDED response must not carry an Error."}
		}
		e.finish(StatusSucceeded, o.Result, nil, now)
	case wire.InvocationFailed:
		e.emptyPendingStreak = 0
		if o.Result != "" {
			return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: "A FAILED response must not carry a Result."}
		}
		e.finish(StatusFailed, "", o.Error, now)
	case wire.InvocationPending:
		if e.hasPending() {
			e.emptyPendingStreak = 0
			return nil
		}
		e.emptyPendingStreak++
		if e.emptyPendingStreak >= maxEmptyPendingResponses {
			e.finish(StatusFailed, "", errNoPending, now)
		}
		return cloneErr(errNoPending)
	default:
		return &wire.ErrorObject{ErrorType: "InvalidParameterValueException", ErrorMessage: fmt.Sprintf("The durable function returned an invalid Status %q.", o.Status)}
	}
	return nil
}

func (e *execution) finish(st Status, result string, eo *wire.ErrorObject, now time.Time) {
	e.status = st
	e.endTime = now
	e.execOp.op.EndTimestamp = wire.At(now)
	if st == StatusSucceeded {
		e.result = result
		e.execOp.op.Status = wire.StatusSucceeded
		e.terminalEvent = &Event{EventType: EventExecutionSucceeded, Id: e.id,
			ExecutionSucceededDetails: &ResultDetails{Result: &EventPayload{Payload: result}}}
	} else {
		if eo == nil {
			eo = &wire.ErrorObject{}
		}
		e.err = cloneErr(eo)
		e.execOp.op.Status = wire.StatusFailed
		e.terminalEvent = &Event{EventType: EventExecutionFailed, Id: e.id,
			ExecutionFailedDetails: &ErrorDetails{Error: eventError(eo)}}
	}
}

// advance prepares the next invocation after one ended: it fires the timers
// already due and, if nothing is ready to run, jumps the virtual clock to
// the next timer (or to the execution timeout, which ends the execution).
// It reports false when nothing can make progress: the execution ended, or
// it waits for something outside the service (a callback, a chained
// invoke).
func (e *execution) advance(lastFailed bool) bool {
	if e.status != StatusRunning {
		return false
	}
	now := e.clock
	if !e.deadline.IsZero() && !now.Before(e.deadline) {
		e.timeOut(now)
		return false
	}
	e.fireTimers(now)
	if lastFailed || len(e.unseen) > 0 || e.hasReady() {
		return true
	}
	next, ok := e.nextTimer()
	if !ok {
		return false
	}
	if !e.deadline.IsZero() && next.After(e.deadline) {
		e.clock = e.deadline
		e.timeOut(e.deadline)
		return false
	}
	if next.After(e.clock) {
		e.clock = next
	}
	e.fireTimers(e.clock)
	return true
}

func eventError(eo *wire.ErrorObject) *EventError {
	if eo == nil {
		return &EventError{}
	}
	return &EventError{Payload: *cloneErr(eo)}
}

func eventErrorOrNil(eo *wire.ErrorObject) *EventError {
	if eo == nil {
		return nil
	}
	return eventError(eo)
}

func cloneErr(eo *wire.ErrorObject) *wire.ErrorObject {
	if eo == nil {
		return nil
	}
	c := *eo
	c.StackTrace = slices.Clone(eo.StackTrace)
	return &c
}

// cloneOp deep-copies an operation so callers cannot alias service state.
func cloneOp(op *wire.Operation) wire.Operation {
	c := *op
	if d := op.ExecutionDetails; d != nil {
		x := *d
		c.ExecutionDetails = &x
	}
	if d := op.StepDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.StepDetails = &x
	}
	if d := op.WaitDetails; d != nil {
		x := *d
		c.WaitDetails = &x
	}
	if d := op.CallbackDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.CallbackDetails = &x
	}
	if d := op.ChainedInvokeDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.ChainedInvokeDetails = &x
	}
	if d := op.ContextDetails; d != nil {
		x := *d
		x.Error = cloneErr(d.Error)
		c.ContextDetails = &x
	}
	return c
}

// StartExecution starts an execution whose EXECUTION operation carries
// input (JSON text), records ExecutionStarted and returns the execution's
// ARN. Runners call it for each Run; call it directly to drive an execution
// by hand with StartInvocation, CompleteInvocation and Advance.
func (s *Service) StartExecution(name, input string) string {
	return s.startExecution(execConfig{name: name}, input).arn
}

// StartInvocation begins an invocation of the execution and returns its
// payload: a fresh checkpoint token (earlier tokens stop working), the first
// page of state and the ids the service changed since the last invocation.
// The virtual clock runs with real time until CompleteInvocation.
func (s *Service) StartInvocation(executionArn string) (wire.InvocationInput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return wire.InvocationInput{}, err
	}
	if e.status != StatusRunning {
		return wire.InvocationInput{}, invalidParam("The durable execution has ended: " + string(e.status))
	}
	in, _ := e.beginInvocation()
	return in, nil
}

// CompleteInvocation ends the invocation begun by StartInvocation with the
// function's response (output, the InvocationOutput JSON) or, when invErr is
// set, as a failed invocation. It records InvocationCompleted and, if the
// execution ended, its terminal event. It reports whether the invocation
// failed.
func (s *Service) CompleteInvocation(executionArn string, output []byte, invErr *wire.ErrorObject) (failed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return false, err
	}
	if e.inv == nil {
		return false, invalidParam("No invocation in progress.")
	}
	return e.endInvocation(e.inv, output, invErr), nil
}

// Advance prepares the next invocation as the runner does between
// invocations: it fires due timers and, if nothing is ready to run, jumps
// the virtual clock to the next timer (or to the execution timeout). It
// reports whether the execution should be invoked again; false means it
// ended or waits for something outside the service.
func (s *Service) Advance(executionArn string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(executionArn)
	if err != nil {
		return false, err
	}
	return e.advance(false), nil
}

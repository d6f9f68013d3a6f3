package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// fakeService is a strict in-package ExecutionClient: it rejects a call
// that overlaps another or carries anything but the current token (as the
// service does, with its stale-token error), rotates the token on every
// accepted call, and lets a test fail or strip the token of chosen calls.
type fakeService struct {
	mu       sync.Mutex
	token    string
	calls    []wire.CheckpointRequest
	inFlight atomic.Int32
	overlaps atomic.Int32
	// fault, when it returns an error, answers call n (1-based) with it.
	fault func(n int, req wire.CheckpointRequest) error
	// noToken, when true for call n, accepts it but returns no token.
	noToken func(n int) bool
	// hold, when set, is called at the start of every call with its
	// number and may block it.
	hold func(n int)
	held atomic.Int32
}

const seedToken = "seed"

func (f *fakeService) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	if f.inFlight.Add(1) > 1 {
		f.overlaps.Add(1)
	}
	defer f.inFlight.Add(-1)
	if f.hold != nil {
		f.hold(int(f.held.Add(1)))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token == "" {
		f.token = seedToken
	}
	f.calls = append(f.calls, req)
	n := len(f.calls)
	if f.fault != nil {
		if err := f.fault(n, req); err != nil {
			return wire.CheckpointResponse{}, err
		}
	}
	if req.CheckpointToken != f.token {
		return wire.CheckpointResponse{}, &wire.APIError{Code: "InvalidParameterValueException", Message: "Invalid checkpoint token: not the current token.", StatusCode: 400}
	}
	if f.noToken != nil && f.noToken(n) {
		f.token = "consumed"
		return wire.CheckpointResponse{}, nil
	}
	f.token = fmt.Sprintf("t%d", n)
	return wire.CheckpointResponse{CheckpointToken: f.token}, nil
}

func (f *fakeService) GetExecutionState(context.Context, wire.StateRequest) (wire.ExecutionState, error) {
	return wire.ExecutionState{}, errors.New("fakeService: no state pages")
}

// updates returns every update the service received, in order.
func (f *fakeService) updates() []wire.OperationUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.OperationUpdate
	for _, c := range f.calls {
		out = append(out, c.Updates...)
	}
	return out
}

var errServer = &wire.APIError{Code: "ServiceException", Message: "Internal service error.", StatusCode: 500}

func newTestCheckpointer(t *testing.T, client ExecutionClient, onHalt func(error)) *checkpointer {
	t.Helper()
	cp := newCheckpointer(checkpointerConfig{client: client, arn: "arn", token: seedToken, store: newOperationStore(nil), onHalt: onHalt})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go cp.run(ctx)
	return cp
}

func stepUpdate(id string, action wire.OperationAction) wire.OperationUpdate {
	return wire.OperationUpdate{Id: id, Name: id, Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: action}
}

func TestTakeBatch(t *testing.T) {
	abandoned := &atomic.Bool{}
	abandoned.Store(true)
	gone := &scope{abandoned: abandoned}
	big := stepUpdate("big", wire.ActionSucceed)
	big.Payload = strings.Repeat("x", maxBatchBytes/2)
	wait := wire.OperationUpdate{Id: "w", Type: wire.TypeWait, SubType: wire.SubTypeWait, Action: wire.ActionStart}
	exec := wire.OperationUpdate{Id: "exec", Type: wire.TypeExecution, Action: wire.ActionSucceed}
	for _, tc := range []struct {
		name    string
		queue   []*queued
		batches []string // ids of each call's updates
	}{
		{"a step's START and SUCCEED share a call", []*queued{{update: stepUpdate("a", wire.ActionStart)}, {update: stepUpdate("a", wire.ActionSucceed)}}, []string{"a a"}},
		{"a second update of one step after its completion waits", []*queued{{update: stepUpdate("a", wire.ActionRetry)}, {update: stepUpdate("a", wire.ActionStart)}}, []string{"a", "a"}},
		{"a wait's two updates never share a call", []*queued{{update: wait}, {update: wire.OperationUpdate{Id: "w", Type: wire.TypeWait, Action: wire.ActionCancel}}}, []string{"w", "w"}},
		{"the EXECUTION update ends a call", []*queued{{update: stepUpdate("a", wire.ActionStart)}, {update: exec}, {update: stepUpdate("b", wire.ActionStart)}}, []string{"a exec", "b"}},
		{"the size cap splits calls", []*queued{{update: big}, {update: stepUpdate("b", wire.ActionStart)}, {update: big}}, []string{"big b", "big"}},
		{"an abandoned item's updates are dropped", []*queued{{update: stepUpdate("a", wire.ActionStart)}, {update: stepUpdate("x", wire.ActionStart), owner: gone, done: make(chan error, 1)}}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := &checkpointer{token: seedToken, queue: tc.queue}
			var got []string
			for len(cp.queue) > 0 {
				batch, _, _ := cp.takeBatch()
				ids := make([]string, len(batch))
				for i, e := range batch {
					ids[i] = e.update.Id
				}
				if len(ids) > 0 {
					got = append(got, strings.Join(ids, " "))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.batches) {
				t.Errorf("calls %q, want %q", got, tc.batches)
			}
			for _, e := range tc.queue {
				if e.owner == gone {
					if err := <-e.done; !errors.Is(err, errAbandoned) {
						t.Errorf("abandoned update answered %v, want errAbandoned", err)
					}
				}
			}
		})
	}
}

// Updates sent from many goroutines travel in order per goroutine, one
// call at a time, each with the current token.
func TestCheckpointerBatchesConcurrentSends(t *testing.T) {
	svc := &fakeService{}
	cp := newTestCheckpointer(t, svc, nil)
	const senders, each = 8, 25
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				if err := cp.send(nil, stepUpdate(fmt.Sprintf("g%d-%d", g, i), wire.ActionSucceed)); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	ups := svc.updates()
	if len(ups) != senders*each {
		t.Fatalf("service received %d updates, want %d", len(ups), senders*each)
	}
	if svc.overlaps.Load() != 0 {
		t.Errorf("%d calls overlapped another", svc.overlaps.Load())
	}
	next := map[int]int{}
	for _, u := range ups {
		var g, i int
		fmt.Sscanf(u.Id, "g%d-%d", &g, &i)
		if i != next[g] {
			t.Fatalf("sender %d's update %d arrived before %d", g, i, next[g])
		}
		next[g]++
	}
}

// What queues while a call is in flight travels together in the next call.
func TestCheckpointerBatchesWhatQueuedDuringACall(t *testing.T) {
	gate := make(chan struct{})
	svc := &fakeService{hold: func(n int) {
		if n == 1 {
			<-gate
		}
	}}
	cp := newTestCheckpointer(t, svc, nil)
	first := make(chan error, 1)
	go func() { first <- cp.send(nil, stepUpdate("first", wire.ActionSucceed)) }()
	for svc.held.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	const queued = 10
	var wg sync.WaitGroup
	for i := range queued {
		wg.Go(func() {
			if err := cp.send(nil, stepUpdate(fmt.Sprintf("q%d", i), wire.ActionSucceed)); err != nil {
				t.Errorf("send: %v", err)
			}
		})
	}
	for {
		cp.mu.Lock()
		n := len(cp.queue)
		cp.mu.Unlock()
		if n == queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(svc.calls) != 2 || len(svc.calls[0].Updates) != 1 || len(svc.calls[1].Updates) != queued {
		t.Errorf("%d calls; want the first update alone, then the %d queued ones in one call", len(svc.calls), queued)
	}
	if svc.calls[1].CheckpointToken != "t1" {
		t.Errorf("second call used token %q, want the one the first returned", svc.calls[1].CheckpointToken)
	}
}

// Whoever sees a checkpoint failure must find the halt already recorded:
// the invocation's outcome is read from it the moment the handler returns.
func TestHaltIsRecordedBeforeWaitersAreReleased(t *testing.T) {
	for _, tc := range []struct {
		name    string
		svc     *fakeService
		cause   func(error) bool
		userErr func(error) bool
	}{
		{"server error", &fakeService{fault: func(int, wire.CheckpointRequest) error { return errServer }},
			func(err error) bool { var ce *CheckpointError; return errors.As(err, &ce) && !ce.Permanent() },
			func(err error) bool { var ce *CheckpointError; return errors.As(err, &ce) }},
		{"response without a token", &fakeService{noToken: func(int) bool { return true }},
			func(err error) bool { return errors.Is(err, errNoToken) },
			IsSuspended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &queued{update: stepUpdate("a", wire.ActionSucceed), done: make(chan error, 1)}
			halts := make(chan error, 2)
			var releasedFirst atomic.Bool
			cp := newTestCheckpointer(t, tc.svc, func(cause error) {
				if len(e.done) != 0 {
					releasedFirst.Store(true)
				}
				halts <- cause
			})
			if err := cp.push(e); err != nil {
				t.Fatal(err)
			}
			// Nobody reads the answer before the halt is reported, so an
			// answer already there when it is reported came first.
			if cause := <-halts; !tc.cause(cause) {
				t.Errorf("onHalt got %v", cause)
			}
			if releasedFirst.Load() {
				t.Fatal("the waiter was answered before the halt was recorded")
			}
			if cause, err := cp.haltCause(), <-e.done; !tc.cause(cause) || !tc.cause(err) {
				t.Fatalf("halt cause %v, waiter got %v", cause, err)
			}
			// Everything after the halt fails at once with the same cause,
			// without a call.
			calls := len(tc.svc.calls)
			if err := cp.send(nil, stepUpdate("b", wire.ActionStart)); !tc.userErr(err) {
				t.Errorf("send after halt: %v", err)
			}
			cp.halt(errSuspended)
			if cause := cp.haltCause(); !tc.cause(cause) {
				t.Errorf("a later halt replaced the first cause: %v", cause)
			}
			if len(halts) != 0 || len(tc.svc.calls) != calls {
				t.Errorf("onHalt called again or another call made")
			}
		})
	}
}

func TestHaltOutcome(t *testing.T) {
	transient := newCheckpointError(errServer)
	permanent := newCheckpointError(&wire.APIError{Code: "InvalidParameterValueException", Message: "STEP output payload size must be less than or equal to 262144 bytes.", StatusCode: 400})
	nd := &NonDeterministicError{ID: "1", Recorded: "a", Current: "b"}
	for _, tc := range []struct {
		name    string
		cause   error
		decided bool
		status  wire.InvocationStatus
		errType string
		retry   bool
	}{
		{"running", nil, false, "", "", false},
		{"suspended", errSuspended, true, wire.InvocationPending, "", false},
		{"no token", errNoToken, true, wire.InvocationPending, "", false},
		{"non-deterministic", nd, true, wire.InvocationFailed, "NonDeterministicExecutionError", false},
		{"permanent", permanent, true, wire.InvocationFailed, "CheckpointError", false},
		{"transient", transient, true, "", "", true},
		{"invocation ended", context.DeadlineExceeded, true, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err, decided := haltOutcome(tc.cause)
			if decided != tc.decided || out.Status != tc.status || (err != nil) != tc.retry {
				t.Fatalf("got %+v, %v, decided %v", out, err, decided)
			}
			if tc.errType != "" && (out.Error == nil || out.Error.ErrorType != tc.errType) {
				t.Errorf("error %+v, want type %s", out.Error, tc.errType)
			}
		})
	}
}

// testCoordinator builds a coordinator over a store the test controls and
// records what it asks of checkpointing.
type testCoordinator struct {
	*coordinator
	store   *operationStore
	flushes atomic.Int32
	polls   chan struct{}
	halted  chan error
}

func newTestCoordinator(t *testing.T) *testCoordinator {
	tc := &testCoordinator{store: newOperationStore(nil), polls: make(chan struct{}, 16), halted: make(chan error, 4)}
	tc.coordinator = newCoordinator(coordinatorDeps{
		lookup: tc.store.get,
		flush:  func() error { tc.flushes.Add(1); return nil },
		poll:   func() error { tc.polls <- struct{}{}; return nil },
		halt:   func(cause error) { tc.halted <- cause },
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go tc.run(ctx)
	return tc
}

func waitOp(id string, status wire.OperationStatus) wire.Operation {
	return wire.Operation{Id: id, Type: wire.TypeWait, Status: status}
}

func isTerminal(op wire.Operation) bool { return op.Status.Terminal() }

// With nothing left running, the coordinator drains the queue, halts
// checkpointing with errSuspended and only then releases the blocked.
func TestCoordinatorSuspendsWhenEveryGoroutineIsBlocked(t *testing.T) {
	c := newTestCoordinator(t)
	c.store.merge([]wire.Operation{waitOp("w", wire.StatusStarted)})
	c.enter()
	err := c.block(context.Background(), "w", time.Now().Add(time.Hour), isTerminal)
	if !IsSuspended(err) {
		t.Fatalf("block returned %v, want the suspension", err)
	}
	select {
	case cause := <-c.halted:
		if !errors.Is(cause, errSuspended) {
			t.Errorf("halted with %v", cause)
		}
	default:
		t.Fatal("the blocked goroutine was released before checkpointing halted")
	}
	if c.flushes.Load() == 0 {
		t.Error("suspended without draining the checkpoint queue")
	}
	if err := c.block(context.Background(), "w", time.Time{}, isTerminal); !IsSuspended(err) {
		t.Errorf("block after suspension returned %v", err)
	}
}

// A change reported by a checkpoint response wakes the goroutine blocked
// on it, and an operation already finished does not block at all.
func TestCoordinatorWakesBlockedGoroutineOnChange(t *testing.T) {
	c := newTestCoordinator(t)
	c.store.merge([]wire.Operation{waitOp("w", wire.StatusStarted), waitOp("done", wire.StatusSucceeded)})
	c.enter() // the test itself: still running, so no suspension
	c.enter()
	if err := c.block(context.Background(), "done", time.Time{}, isTerminal); err != nil {
		t.Fatalf("block on a finished operation: %v", err)
	}
	woke := make(chan error, 1)
	go func() { woke <- c.block(context.Background(), "w", time.Now().Add(time.Hour), isTerminal) }()
	c.changed([]string{"w"}) // not ready yet: must not wake
	c.store.merge([]wire.Operation{waitOp("w", wire.StatusSucceeded)})
	deadline := time.After(5 * time.Second)
	for {
		c.changed([]string{"w"})
		select {
		case err := <-woke:
			if err != nil {
				t.Fatalf("woke with %v", err)
			}
			if len(c.halted) != 0 {
				t.Error("checkpointing halted while work was running")
			}
			return
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("the blocked goroutine was not woken")
		}
	}
}

// While other work runs, a due blocker is polled for instead of suspending.
func TestCoordinatorPollsDueOperationWhileWorkRuns(t *testing.T) {
	c := newTestCoordinator(t)
	c.store.merge([]wire.Operation{waitOp("w", wire.StatusStarted)})
	c.enter() // still running
	c.enter()
	go func() { _ = c.block(context.Background(), "w", time.Now(), isTerminal) }()
	select {
	case <-c.polls:
	case <-time.After(5 * time.Second):
		t.Fatal("no poll for a due operation")
	}
	if len(c.halted) != 0 {
		t.Error("suspended while work was running")
	}
}

// Once the handler has returned, the coordinator never suspends: the
// outcome is being decided.
func TestClosedCoordinatorDoesNotSuspend(t *testing.T) {
	c := newTestCoordinator(t)
	c.store.merge([]wire.Operation{waitOp("w", wire.StatusStarted)})
	if c.close() {
		t.Fatal("reported a suspension that never happened")
	}
	c.mu.Lock()
	c.blocked[&blocker{id: "w", ready: isTerminal, woken: make(chan struct{})}] = struct{}{}
	c.mu.Unlock()
	if c.trySuspend() || len(c.halted) != 0 {
		t.Error("a closed coordinator suspended")
	}
}

// invokeWith runs h for one invocation of a fresh execution against svc.
func invokeWith[O any](t *testing.T, svc ExecutionClient, h Handler[int, O]) (wire.InvocationOutput, error) {
	t.Helper()
	in := wire.InvocationInput{
		DurableExecutionArn: "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e/1",
		CheckpointToken:     seedToken,
		InitialExecutionState: wire.ExecutionState{Operations: []wire.Operation{
			{Id: "exec", Type: wire.TypeExecution, Status: wire.StatusStarted, ExecutionDetails: &wire.ExecutionDetails{InputPayload: "1"}},
		}},
	}
	payload, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return invoke(context.Background(), h, options{client: svc, logHandler: slog.NewJSONHandler(io.Discard, nil)}, payload)
}

// A step whose RETRY cannot be recorded ends the invocation with an error
// for Lambda to retry, after one run of the body.
func TestRefusedRetryEndsTheInvocationAfterOneRun(t *testing.T) {
	var runs atomic.Int32
	svc := &fakeService{fault: func(_ int, req wire.CheckpointRequest) error {
		for _, u := range req.Updates {
			if u.Action == wire.ActionRetry {
				return errServer
			}
		}
		return nil
	}}
	out, err := invokeWith(t, svc, func(ctx Context, _ int) (string, error) {
		return Step(ctx, "flaky", func(StepContext) (string, error) {
			if runs.Add(1) > 100 {
				return "gave up failing", nil
			}
			return "", errors.New("flaky")
		}, WithSemantics(AtMostOncePerRetry))
	})
	var ce *CheckpointError
	if !errors.As(err, &ce) || ce.Permanent() || out.Status != "" {
		t.Fatalf("got %+v, %v; want a transient CheckpointError for Lambda to retry", out, err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("step body ran %d times, want 1", n)
	}
}

// A handler that returns the error of a failed checkpoint, or swallows it,
// never fails or completes the execution: the invocation is retried.
func TestTransientCheckpointFailureWinsOverTheHandler(t *testing.T) {
	failDone := func(_ int, req wire.CheckpointRequest) error {
		for _, u := range req.Updates {
			if u.Type == wire.TypeContext && u.SubType == wire.SubTypeMap && u.Action == wire.ActionSucceed {
				return errServer
			}
		}
		return nil
	}
	mapThen := func(swallow bool) Handler[int, string] {
		return func(ctx Context, _ int) (string, error) {
			_, err := Map(ctx, "items", []int{1, 2, 3}, func(c Context, item, _ int) (int, error) {
				return Step(c, "double", func(StepContext) (int, error) { return 2 * item, nil })
			})
			if err != nil && swallow {
				return "swallowed", nil
			}
			return "done", err
		}
	}
	for _, swallow := range []bool{false, true} {
		t.Run(fmt.Sprintf("swallowed=%v", swallow), func(t *testing.T) {
			for range 20 {
				out, err := invokeWith(t, &fakeService{fault: failDone}, mapThen(swallow))
				var ce *CheckpointError
				if !errors.As(err, &ce) || out.Status != "" {
					t.Fatalf("got %+v, %v; want a transient CheckpointError for Lambda to retry", out, err)
				}
			}
		})
	}
}

// Changed code fails the execution and records nothing more.
func TestNonDeterminismHaltsCheckpointing(t *testing.T) {
	svc := &fakeService{}
	in := wire.InvocationInput{
		DurableExecutionArn: "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e/1",
		CheckpointToken:     seedToken,
		InitialExecutionState: wire.ExecutionState{Operations: []wire.Operation{
			{Id: "exec", Type: wire.TypeExecution, Status: wire.StatusStarted},
			{Id: wireID("1"), Name: "reserve", Type: wire.TypeStep, SubType: wire.SubTypeStep, Status: wire.StatusSucceeded, StepDetails: &wire.StepDetails{Result: `"ok"`}},
		}},
	}
	payload, _ := json.Marshal(in)
	h := func(ctx Context, _ int) (string, error) {
		if _, err := Step(ctx, "charge", func(StepContext) (string, error) { return "ok", nil }); err != nil {
			_, _ = Step(ctx, "after", func(StepContext) (string, error) { return "ok", nil })
			return "", err
		}
		return "done", nil
	}
	out, err := invoke(context.Background(), Handler[int, string](h), options{client: svc, logHandler: slog.NewJSONHandler(io.Discard, nil)}, payload)
	if err != nil || out.Status != wire.InvocationFailed || out.Error.ErrorType != "NonDeterministicExecutionError" {
		t.Fatalf("got %+v, %v", out, err)
	}
	if ups := svc.updates(); len(ups) != 0 {
		t.Errorf("recorded %d updates after the divergence", len(ups))
	}
}

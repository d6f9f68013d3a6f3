package durabletest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// DefaultMaxInvocations is the number of invocations after which a Runner
// gives up on an execution that has not ended.
const DefaultMaxInvocations = 100

// Runner runs executions of one durable function to their end against its
// own Service. Each Run starts a new execution. A Runner is safe for
// sequential use; runs of one Runner must not overlap.
type Runner[I, O any] struct {
	cfg     config
	service *Service
	logs    *logSink
	// start prepares the function for one run.
	start func(ctx context.Context, r *runEnv) (invoker, error)
}

// Option configures a Runner.
type Option func(*config)

type config struct {
	handlerOpts      []durable.Option
	logOutput        io.Writer
	serviceOpts      []ServiceOption
	maxInvocations   int
	executionName    string
	executionTimeout time.Duration
	functionTimeout  time.Duration
	crashAfter       []int
	faults           map[int]Fault
	faultOn          []*updateFault
	env              []string
	onBlocked        func(ctx context.Context, s *Service, executionArn string) error
}

// WithHandlerOptions adds runtime options given to durable.Wrap after the
// runner's own (the execution client and log handler), so they can override
// them.
func WithHandlerOptions(opts ...durable.Option) Option {
	return func(c *config) { c.handlerOpts = append(c.handlerOpts, opts...) }
}

// WithLogOutput also copies the function's log output to w (it is always
// captured in Result.Logs). For in-process runners the runtime logs through
// a JSON slog handler writing there; for process runners it receives the
// process's stdout and stderr.
func WithLogOutput(w io.Writer) Option { return func(c *config) { c.logOutput = w } }

// WithServiceOptions configures the runner's Service.
func WithServiceOptions(opts ...ServiceOption) Option {
	return func(c *config) { c.serviceOpts = append(c.serviceOpts, opts...) }
}

// WithMaxInvocations caps the invocations of one Run (default
// DefaultMaxInvocations). A run that reaches the cap returns a Result with
// Status StatusRunning and CapReached set.
func WithMaxInvocations(n int) Option { return func(c *config) { c.maxInvocations = n } }

// WithExecutionName sets the execution name (the ARN's execution segment);
// default: a random UUID.
func WithExecutionName(name string) Option { return func(c *config) { c.executionName = name } }

// WithExecutionTimeout sets the execution timeout (DurableConfig
// ExecutionTimeout): once the execution's virtual time passes it, the
// service ends the execution with status TIMED_OUT. Default: none.
func WithExecutionTimeout(d time.Duration) Option {
	return func(c *config) { c.executionTimeout = d }
}

// WithFunctionTimeout sets the Lambda function timeout: an invocation that
// runs longer (real time) is abandoned as timed out (Sandbox.Timedout) and
// the execution is re-invoked. Default 15 minutes.
func WithFunctionTimeout(d time.Duration) Option { return func(c *config) { c.functionTimeout = d } }

// WithCrashAfterCheckpoint abandons the invocation right after the Service
// applied the execution's n-th checkpoint call (1-based, counting every
// call, polls and rejected calls included): the runner stops waiting for
// the invocation, cancels its context (a process runner kills the process),
// ignores its output, rotates the token so the invocation's later calls fail
// as stale, and re-invokes. May be given several times.
func WithCrashAfterCheckpoint(n int) Option {
	return func(c *config) { c.crashAfter = append(c.crashAfter, n) }
}

// WithCheckpointFault answers the execution's n-th checkpoint call
// (1-based, counting every call) with fault f. May be given several times.
func WithCheckpointFault(n int, f Fault) Option {
	return func(c *config) {
		if c.faults == nil {
			c.faults = map[int]Fault{}
		}
		c.faults[n] = f
	}
}

// updateFault is a fault injected into the first checkpoint call that
// carries an update match accepts.
type updateFault struct {
	fault Fault
	match func(wire.OperationUpdate) bool
	fired bool
}

// WithCheckpointFaultOn answers the first checkpoint call that carries an
// update match accepts with fault f, once per run: a fault aimed at one
// operation's update whatever the batching. May be given several times.
func WithCheckpointFaultOn(f Fault, match func(wire.OperationUpdate) bool) Option {
	return func(c *config) { c.faultOn = append(c.faultOn, &updateFault{fault: f, match: match}) }
}

// WithEnv adds environment variables ("KEY=value") for a process runner's
// function process; they override the runner's defaults.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithOnBlocked sets fn to be called when the execution suspended while it
// waits for something outside the service (an open callback), once chained
// invokes have run their targets, before the virtual clock moves on: fn plays the external system
// and may resolve it through the Service (OpenCallbacks,
// SendCallbackSuccess, SendCallbackFailure, ...). If fn changed nothing,
// the run goes on as without it: to the next timer (a callback timeout,
// say), or it stops with Status StatusRunning. An error from fn ends the
// run with that error.
func WithOnBlocked(fn func(ctx context.Context, s *Service, executionArn string) error) Option {
	return func(c *config) { c.onBlocked = fn }
}

// NewRunner returns a Runner that calls h in-process, wrapped by
// durable.Wrap with the runner's Service as execution client, a JSON log
// handler writing to the run's log buffer (and WithLogOutput), and the
// WithHandlerOptions.
func NewRunner[I, O any](h durable.Handler[I, O], opts ...Option) *Runner[I, O] {
	r := newRunner[I, O](opts)
	var once sync.Once
	var raw durable.RawHandler
	r.start = func(ctx context.Context, env *runEnv) (invoker, error) {
		once.Do(func() {
			hopts := []durable.Option{
				durable.WithExecutionClient(r.service),
				durable.WithLogHandler(slog.NewJSONHandler(r.logs, nil)),
			}
			raw = durable.Wrap(h, append(hopts, r.cfg.handlerOpts...)...)
		})
		return &inProcess{h: raw, functionArn: r.service.FunctionArn()}, nil
	}
	return r
}

// NewRawRunner returns a Runner for any raw durable function. fn receives
// the execution client to use (the runner's Service) and returns the raw
// handler; it is called once per Runner, at its first Run. Input is the
// execution's input JSON; the Result's Value is the raw result JSON.
// WithHandlerOptions does not apply; a handler that logs should write to
// LogWriter.
func NewRawRunner(fn func(client durable.ExecutionClient) durable.RawHandler, opts ...Option) *Runner[json.RawMessage, json.RawMessage] {
	r := newRunner[json.RawMessage, json.RawMessage](opts)
	var once sync.Once
	var raw durable.RawHandler
	r.start = func(ctx context.Context, env *runEnv) (invoker, error) {
		once.Do(func() { raw = fn(r.service) })
		return &inProcess{h: raw, functionArn: r.service.FunctionArn()}, nil
	}
	return r
}

func newRunner[I, O any](opts []Option) *Runner[I, O] {
	cfg := config{maxInvocations: DefaultMaxInvocations, functionTimeout: 15 * time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxInvocations <= 0 {
		cfg.maxInvocations = DefaultMaxInvocations
	}
	if cfg.functionTimeout <= 0 {
		cfg.functionTimeout = 15 * time.Minute
	}
	return &Runner[I, O]{cfg: cfg, service: NewService(cfg.serviceOpts...), logs: &logSink{}}
}

// Service returns the runner's Service.
func (r *Runner[I, O]) Service() *Service { return r.service }

// LogWriter returns the writer the runner captures function logs from
// during a run (into Result.Logs, and WithLogOutput). In-process handlers
// built with NewRawRunner may log to it.
func (r *Runner[I, O]) LogWriter() io.Writer { return r.logs }

// runEnv is what an invoker needs from the run.
type runEnv struct {
	service *Service
	logs    io.Writer
	cfg     *config
}

// invokeRequest is one invocation for an invoker to deliver.
type invokeRequest struct {
	arn       string
	requestID string
	payload   []byte
	// deadline is the real-time deadline of the invocation.
	deadline time.Time
	// abandoned is closed when the service gives up on the invocation; the
	// invoker must then return promptly (its outcome is ignored).
	abandoned <-chan struct{}
}

// invoker delivers invocations to a function.
type invoker interface {
	// invoke delivers one invocation and returns the function's response,
	// or the invocation's error (an error response, a crash).
	invoke(ctx context.Context, req invokeRequest) ([]byte, *wire.ErrorObject)
	// close releases the function (stops a process).
	close() error
}

// Run starts an execution with the given input (JSON-encoded into the
// EXECUTION operation's InputPayload) and drives it to its end: it invokes
// the function, fires due timers on the virtual clock between invocations,
// and re-invokes until the execution succeeds, fails or times out, or the
// invocation cap is reached. Chained invokes run their WithInvokeTarget
// functions while the execution waits for them. A run also stops, with
// Status StatusRunning, when the execution waits for something nothing
// local will deliver (a callback no WithOnBlocked hook answers). The error is for failures of the runner
// itself (a bad input, ctx cancelled, a process that cannot start, a result
// that does not decode into O); the execution's own failure is reported in
// the Result.
func (r *Runner[I, O]) Run(ctx context.Context, input I) (*Result[O], error) {
	in, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("durabletest: encode input: %w", err)
	}
	var logBuf bytes.Buffer
	r.logs.set(&logBuf, r.cfg.logOutput)
	defer r.logs.set(nil, nil)

	env := &runEnv{service: r.service, logs: r.logs, cfg: &r.cfg}
	inv, err := r.start(ctx, env)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			inv.close()
		}
	}()

	svc := r.service
	e := svc.startExecution(execConfig{
		name:       r.cfg.executionName,
		timeout:    r.cfg.executionTimeout,
		crashAfter: r.cfg.crashAfter,
		faults:     r.cfg.faults,
		faultOn:    freshFaults(r.cfg.faultOn),
	}, string(in))

	res := &Result[O]{ExecutionArn: e.arn}
	failed := false
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		svc.mu.Lock()
		cont := e.status == StatusRunning
		if cont && n > 0 {
			if !failed && len(e.unseen) == 0 && !e.hasReady() && e.waitsExternally() {
				svc.mu.Unlock()
				// Chained invokes run their targets first; the hook plays
				// any other external system.
				ran, err := svc.runInvokeTargets(ctx, e.arn)
				if err != nil {
					return nil, err
				}
				if !ran && r.cfg.onBlocked != nil {
					if err := r.cfg.onBlocked(ctx, svc, e.arn); err != nil {
						return nil, err
					}
				}
				svc.mu.Lock()
			}
			cont = e.status == StatusRunning && e.advance(failed)
		}
		if cont && e.invocations >= r.cfg.maxInvocations {
			cont = false
			res.CapReached = true
		}
		if !cont {
			svc.mu.Unlock()
			break
		}
		input, invn := e.beginInvocation()
		payload, err := json.Marshal(input)
		deadline := time.Now().Add(r.cfg.functionTimeout)
		var execLeft time.Duration = -1
		if !e.deadline.IsZero() {
			execLeft = e.deadline.Sub(e.clock)
		}
		svc.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("durabletest: encode invocation: %w", err)
		}

		// Watchdogs: the function timeout and the execution timeout end the
		// invocation from the service's side.
		stop := make(chan struct{})
		go func() {
			ft := time.NewTimer(time.Until(deadline))
			defer ft.Stop()
			var et <-chan time.Time
			if execLeft >= 0 {
				t := time.NewTimer(execLeft + time.Millisecond)
				defer t.Stop()
				et = t.C
			}
			select {
			case <-stop:
			case <-invn.abandoned:
			case <-ft.C:
				svc.mu.Lock()
				e.abandon(&wire.ErrorObject{ErrorType: "Sandbox.Timedout", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", invn.requestID, r.cfg.functionTimeout.Seconds())})
				svc.mu.Unlock()
			case <-et:
				svc.mu.Lock()
				e.timeOut(e.now())
				svc.mu.Unlock()
			}
		}()
		out, invErr := inv.invoke(ctx, invokeRequest{
			arn:       e.arn,
			requestID: invn.requestID,
			payload:   payload,
			deadline:  deadline,
			abandoned: invn.abandoned,
		})
		close(stop)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if invErr != nil && !time.Now().Before(deadline) {
			// The handler gave up at its deadline: Lambda reports the timeout.
			invErr = &wire.ErrorObject{ErrorType: "Sandbox.Timedout", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", invn.requestID, r.cfg.functionTimeout.Seconds())}
		}
		svc.mu.Lock()
		failed = e.endInvocation(invn, out, invErr)
		svc.mu.Unlock()
	}
	closed = true
	if err := inv.close(); err != nil {
		return nil, err
	}

	svc.mu.Lock()
	res.Status = e.status
	res.RawResult = e.result
	res.Error = cloneErr(e.err)
	res.Invocations = e.invocations
	res.Operations = make([]wire.Operation, len(e.ops))
	for i, rec := range e.ops {
		res.Operations[i] = cloneOp(&rec.op)
	}
	res.History = append([]Event(nil), e.history...)
	svc.mu.Unlock()
	res.Logs = logBuf.String()
	if res.Status == StatusSucceeded && res.RawResult != "" {
		if err := json.Unmarshal([]byte(res.RawResult), &res.Value); err != nil {
			return res, fmt.Errorf("durabletest: decode result %.200q: %w", res.RawResult, err)
		}
	}
	return res, nil
}

// logSink is the writer function logs go to: the current run's buffer and
// the WithLogOutput writer.
type logSink struct {
	mu  sync.Mutex
	buf *bytes.Buffer
	out io.Writer
}

func (s *logSink) set(buf *bytes.Buffer, out io.Writer) {
	s.mu.Lock()
	s.buf, s.out = buf, out
	s.mu.Unlock()
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf != nil {
		s.buf.Write(p)
	}
	if s.out != nil {
		s.out.Write(p)
	}
	return len(p), nil
}

// inProcess calls a raw handler in this process, each invocation on its own
// goroutine, as a Lambda runtime would.
type inProcess struct {
	h           durable.RawHandler
	functionArn string
	wg          sync.WaitGroup
}

type handlerResult struct {
	out []byte
	err error
}

func (p *inProcess) invoke(ctx context.Context, req invokeRequest) ([]byte, *wire.ErrorObject) {
	ictx, cancel := context.WithDeadline(ctx, req.deadline)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{
		AwsRequestID:       req.requestID,
		InvokedFunctionArn: p.functionArn,
	})
	done := make(chan handlerResult, 1)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			if v := recover(); v != nil {
				done <- handlerResult{err: &panicError{v}}
			}
		}()
		out, err := p.h(ictx, req.payload)
		done <- handlerResult{out, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, errorObject(res.err)
		}
		return res.out, nil
	case <-req.abandoned:
		return nil, nil
	case <-ctx.Done():
		return nil, &wire.ErrorObject{ErrorType: "Runner.Cancelled", ErrorMessage: ctx.Err().Error()}
	}
}

// close waits a little for abandoned invocations (their contexts are
// cancelled) so they do not outlive the run.
func (p *inProcess) close() error {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	return nil
}

type panicError struct{ v any }

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.v) }

// errorObject renders a handler error as aws-lambda-go reports it to the
// Runtime API: the error's type name and message.
func errorObject(err error) *wire.ErrorObject {
	var pe *panicError
	if errors.As(err, &pe) {
		return &wire.ErrorObject{ErrorType: "Runtime.Panic", ErrorMessage: err.Error()}
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" {
		name = "error"
	}
	return &wire.ErrorObject{ErrorType: name, ErrorMessage: err.Error()}
}

// freshFaults copies the update faults for one run, none fired yet.
func freshFaults(in []*updateFault) []*updateFault {
	out := make([]*updateFault, len(in))
	for i, f := range in {
		out[i] = &updateFault{fault: f.fault, match: f.match}
	}
	return out
}

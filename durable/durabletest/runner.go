package durabletest

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
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
	env              []string
}

// Fault is an error the Service answers a checkpoint call with.
type Fault int

const (
	// FaultThrottle answers TooManyRequestsException (HTTP 429) without
	// applying the checkpoint.
	FaultThrottle Fault = iota + 1
	// FaultServerError answers ServiceException (HTTP 500) without applying
	// the checkpoint.
	FaultServerError
	// FaultStaleToken answers InvalidParameterValueException (HTTP 400)
	// "Invalid checkpoint token ..." without applying the checkpoint, as the
	// service does when a newer invocation superseded the caller.
	FaultStaleToken
	// FaultNoToken applies the checkpoint but answers without a
	// CheckpointToken, so the invocation can make no further checkpoints.
	FaultNoToken
)

// String returns the fault's name.
func (f Fault) String() string { panic("not implemented") }

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

// WithEnv adds environment variables ("KEY=value") for a process runner's
// function process; they override the runner's defaults.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// NewRunner returns a Runner that calls h in-process, wrapped by
// durable.Wrap with the runner's Service as execution client, a JSON log
// handler writing to the run's log buffer, and the WithHandlerOptions.
func NewRunner[I, O any](h durable.Handler[I, O], opts ...Option) *Runner[I, O] {
	panic("not implemented")
}

// NewRawRunner returns a Runner for any raw durable function. fn receives
// the execution client to use (the runner's Service) and returns the raw
// handler; it is called once per Runner. Input is the execution's input
// JSON; the Result's Value is the raw result JSON.
func NewRawRunner(fn func(client durable.ExecutionClient) durable.RawHandler, opts ...Option) *Runner[json.RawMessage, json.RawMessage] {
	panic("not implemented")
}

// Service returns the runner's Service.
func (r *Runner[I, O]) Service() *Service { return r.service }

// Run starts an execution with the given input (JSON-encoded into the
// EXECUTION operation's InputPayload) and drives it to its end: it invokes
// the function, fires due timers on the virtual clock between invocations,
// and re-invokes until the execution succeeds, fails or times out, or the
// invocation cap is reached. The error is for failures of the runner itself
// (a bad input, ctx cancelled, a process that cannot start); the
// execution's own failure is reported in the Result.
func (r *Runner[I, O]) Run(ctx context.Context, input I) (*Result[O], error) {
	panic("not implemented")
}

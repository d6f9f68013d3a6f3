package durabletest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
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
	targets         map[string]InvokeTarget
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

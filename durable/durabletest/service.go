package durabletest

import (
	"context"
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
}

// ServiceOption configures a Service.
type ServiceOption func(*serviceConfig)

type serviceConfig struct {
	pageSize     int
	startTime    time.Time
	region       string
	account      string
	functionName string
	qualifier    string
}

// WithPageSize sets how many operations one page holds: in the initial
// invocation state, in GetDurableExecutionState answers (when the request
// asks for more or for the default) and in checkpoint responses. Small values
// exercise a runtime's pagination. Default 1000.
func WithPageSize(n int) ServiceOption { return func(c *serviceConfig) { c.pageSize = n } }

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
func NewService(opts ...ServiceOption) *Service { panic("not implemented") }

// Checkpoint implements CheckpointDurableExecution.
func (s *Service) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	panic("not implemented")
}

// GetExecutionState implements GetDurableExecutionState.
func (s *Service) GetExecutionState(ctx context.Context, req wire.StateRequest) (wire.ExecutionState, error) {
	panic("not implemented")
}

// History returns the history events recorded so far for the execution, as
// GetDurableExecutionHistory would.
func (s *Service) History(executionArn string) ([]Event, error) { panic("not implemented") }

// Operations returns every operation of the execution in start order,
// including the children of completed contexts.
func (s *Service) Operations(executionArn string) ([]wire.Operation, error) {
	panic("not implemented")
}

var _ durable.ExecutionClient = (*Service)(nil)

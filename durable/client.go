package durable

import (
	"context"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// ExecutionClient is the part of the Lambda API a durable function talks to
// while it runs: CheckpointDurableExecution and GetDurableExecutionState.
// The default client (package lambdaclient) calls AWS through aws-sdk-go-v2;
// package durabletest provides an in-memory one.
//
// Errors should expose the service's error code, message and HTTP status
// through the methods ErrorCode() string, ErrorMessage() string and
// HTTPStatusCode() int somewhere in their chain (the AWS SDK's errors and
// *wire.APIError do); the runtime classifies failures with them.
type ExecutionClient interface {
	// Checkpoint records a batch of operation updates and returns the next
	// checkpoint token with the operations that changed since the last call.
	Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error)
	// GetExecutionState returns one page of the execution's operations.
	GetExecutionState(ctx context.Context, req wire.StateRequest) (wire.ExecutionState, error)
}

// Package lambdaclient is the AWS implementation of the durable runtime's
// execution client: CheckpointDurableExecution and GetDurableExecutionState
// through aws-sdk-go-v2's Lambda client, converting exactly between the
// protocol shapes of package wire and the SDK's types.
package lambdaclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// DefaultMaxItems is the page size GetExecutionState asks for when the
// request leaves MaxItems zero.
const DefaultMaxItems = 1000

// Client calls the Lambda durable execution APIs. It implements
// durable.ExecutionClient.
type Client struct {
	api *lambda.Client
}

// New returns a Client using c.
func New(c *lambda.Client) *Client { return &Client{api: c} }

// NewFromConfig builds a Lambda client from config.LoadDefaultConfig (so
// AWS_REGION, credentials and AWS_ENDPOINT_URL_LAMBDA apply) with an HTTP
// client that gives up connecting after 5 s, waiting for response headers
// after 50 s, and on the whole request after 55 s.
func NewFromConfig(ctx context.Context) (*Client, error) { panic("not implemented") }

// Checkpoint calls CheckpointDurableExecution. Errors are the SDK's, wrapped
// with %w.
func (c *Client) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	panic("not implemented")
}

// GetExecutionState calls GetDurableExecutionState (MaxItems defaults to
// DefaultMaxItems). Errors are the SDK's, wrapped with %w.
func (c *Client) GetExecutionState(ctx context.Context, req wire.StateRequest) (wire.ExecutionState, error) {
	panic("not implemented")
}

// Package lambdaclient is the AWS implementation of the durable runtime's
// execution client: CheckpointDurableExecution and GetDurableExecutionState
// through aws-sdk-go-v2's Lambda client, converting exactly between the
// protocol shapes of package wire and the SDK's types.
//
// It does not import package durable (durable uses it as its default
// client); *Client satisfies durable.ExecutionClient structurally.
package lambdaclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// DefaultMaxItems is the page size GetExecutionState asks for when the
// request leaves MaxItems zero.
const DefaultMaxItems = 1000

// HTTP client timeouts of NewFromConfig.
const (
	ConnectTimeout        = 5 * time.Second
	ResponseHeaderTimeout = 50 * time.Second
	RequestTimeout        = 55 * time.Second
)

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
func NewFromConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (*Client, error) {
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(RequestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) { t.ResponseHeaderTimeout = ResponseHeaderTimeout })
	opts := append([]func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("lambdaclient: load AWS config: %w", err)
	}
	return New(lambda.NewFromConfig(cfg)), nil
}

// API returns the underlying Lambda client.
func (c *Client) API() *lambda.Client { return c.api }

// Checkpoint calls CheckpointDurableExecution. Errors are the SDK's, wrapped
// with %w, so errors.As finds smithy.APIError and the HTTP response error.
func (c *Client) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	in := &lambda.CheckpointDurableExecutionInput{
		DurableExecutionArn: aws.String(req.DurableExecutionArn),
		CheckpointToken:     aws.String(req.CheckpointToken),
		Updates:             UpdatesToSDK(req.Updates),
		ClientToken:         optString(req.ClientToken),
	}
	out, err := c.api.CheckpointDurableExecution(ctx, in)
	if err != nil {
		return wire.CheckpointResponse{}, fmt.Errorf("lambdaclient: CheckpointDurableExecution: %w", err)
	}
	resp := wire.CheckpointResponse{CheckpointToken: aws.ToString(out.CheckpointToken)}
	if st := out.NewExecutionState; st != nil {
		resp.NewExecutionState = &wire.ExecutionState{
			Operations: OperationsFromSDK(st.Operations),
			NextMarker: aws.ToString(st.NextMarker),
		}
	}
	return resp, nil
}

// GetExecutionState calls GetDurableExecutionState (MaxItems defaults to
// DefaultMaxItems). Errors are the SDK's, wrapped with %w.
func (c *Client) GetExecutionState(ctx context.Context, req wire.StateRequest) (wire.ExecutionState, error) {
	maxItems := req.MaxItems
	if maxItems == 0 {
		maxItems = DefaultMaxItems
	}
	out, err := c.api.GetDurableExecutionState(ctx, &lambda.GetDurableExecutionStateInput{
		DurableExecutionArn: aws.String(req.DurableExecutionArn),
		CheckpointToken:     aws.String(req.CheckpointToken),
		Marker:              optString(req.Marker),
		MaxItems:            int32(maxItems),
	})
	if err != nil {
		return wire.ExecutionState{}, fmt.Errorf("lambdaclient: GetDurableExecutionState: %w", err)
	}
	return wire.ExecutionState{
		Operations: OperationsFromSDK(out.Operations),
		NextMarker: aws.ToString(out.NextMarker),
	}, nil
}

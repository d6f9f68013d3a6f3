package durable

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
)

// Handler is a durable workflow: it receives the execution's input, decoded
// from JSON into I, and returns its result, encoded as JSON.
type Handler[I, O any] func(ctx Context, input I) (O, error)

// Option configures the runtime.
type Option func(*options)

type options struct {
	client     ExecutionClient
	logHandler slog.Handler
	replayLogs ReplayLogMode
}

// WithExecutionClient sets the client used to checkpoint and load state
// (default: the AWS Lambda API through aws-sdk-go-v2, configured by
// config.LoadDefaultConfig, so AWS_ENDPOINT_URL_LAMBDA applies).
func WithExecutionClient(c ExecutionClient) Option { return func(o *options) { o.client = c } }

// WithLogHandler sets where workflow logs go (default: JSON lines on
// standard output at the level AWS_LAMBDA_LOG_LEVEL names, INFO if unset).
// The runtime adds replay suppression and execution attributes on top.
func WithLogHandler(h slog.Handler) Option { return func(o *options) { o.logHandler = h } }

// RawHandler is a durable function as the Lambda service sees it: the
// invocation payload in, the invocation response out.
type RawHandler func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke makes RawHandler an aws-lambda-go lambda.Handler.
func (h RawHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return h(ctx, payload)
}

// Start runs h as the Lambda function of this process. Call it from main.
func Start[I, O any](h Handler[I, O], opts ...Option) {
	// RawHandler implements lambda.Handler, so aws-lambda-go passes the
	// payload and the response bytes through unchanged instead of JSON
	// encoding the returned bytes.
	lambda.StartWithOptions(Wrap(h, opts...))
}

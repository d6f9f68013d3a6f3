// Package bedrockjob starts and follows Bedrock asynchronous invocations
// (video generation jobs) with the aws-sdk-go-v2 Bedrock Runtime client,
// and classifies their errors into retryable and terminal ones.
//
// Starting is idempotent per SQS message: the client request token is
// derived from the message id, so a repeated StartAsyncInvoke with the same
// request returns the job the first call created, and a ConflictException
// (the token already used with other parameters) is resolved by finding the
// job that holds the token.
package bedrockjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Job statuses, as Bedrock spells them.
const (
	StatusInProgress = string(types.AsyncInvokeStatusInProgress)
	StatusCompleted  = string(types.AsyncInvokeStatusCompleted)
	StatusFailed     = string(types.AsyncInvokeStatusFailed)
)

// CallTimeout bounds one Bedrock API call, so a hung connection costs a
// retry rather than the invocation.
const CallTimeout = 30 * time.Second

// Client starts and follows asynchronous invocations.
type Client struct {
	api *bedrockruntime.Client
}

// NewFromConfig returns a Client for cfg (its region is the Bedrock region;
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME applies). The SDK's own retries are
// turned off: failed calls are retried by durable steps, whose waits cost
// nothing.
func NewFromConfig(cfg aws.Config) *Client {
	return New(bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		o.Retryer = aws.NopRetryer{}
	}))
}

// New wraps an existing Bedrock Runtime client.
func New(api *bedrockruntime.Client) *Client { return &Client{api: api} }

// ClientRequestToken derives the idempotency token of the job for SQS
// message messageID: 64 hexadecimal characters (the documented pattern is
// [a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}). SQS message ids are UUIDs
// today; hashing keeps the token valid whatever they contain.
func ClientRequestToken(messageID string) string {
	sum := sha256.Sum256([]byte("bedrockvideo/sqs-message/" + messageID))
	return hex.EncodeToString(sum[:])
}

// StartRequest describes a job to start.
type StartRequest struct {
	// Token is the client request token (see ClientRequestToken).
	Token string
	// ModelID is the Bedrock model id.
	ModelID string
	// ModelInput is the model's request document (JSON object).
	ModelInput json.RawMessage
	// OutputURI is where Bedrock writes the result: s3://bucket/prefix.
	OutputURI string
}

// Started is the outcome of Start.
type Started struct {
	InvocationArn string
	// RecoveredByToken is set when a ConflictException was resolved by
	// finding the existing job with the same token.
	RecoveredByToken bool
}

// Start starts a job. Repeating it with the same token and request returns
// the same invocation (Bedrock's idempotency); a ConflictException is
// resolved by looking the token up with ListAsyncInvokes (jobs submitted
// since the given time are searched). Errors are *Error.
func (c *Client) Start(ctx context.Context, req StartRequest, searchSince time.Time) (Started, error) {
	input, err := modelDocument(req.ModelInput)
	if err != nil {
		return Started{}, &Error{Op: "StartAsyncInvoke", Code: "InvalidModelInput", Message: err.Error()}
	}
	callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	out, err := c.api.StartAsyncInvoke(callCtx, &bedrockruntime.StartAsyncInvokeInput{
		ClientRequestToken: aws.String(req.Token),
		ModelId:            aws.String(req.ModelID),
		ModelInput:         input,
		OutputDataConfig: &types.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{
			Value: types.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String(req.OutputURI)},
		},
	})
	if err == nil {
		return Started{InvocationArn: aws.ToString(out.InvocationArn)}, nil
	}
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		return Started{}, classify("StartAsyncInvoke", req.ModelID, err)
	}
	status, found, err := c.FindByToken(ctx, req.Token, searchSince)
	if err != nil {
		return Started{}, err
	}
	if !found {
		return Started{}, &Error{
			Op:      "StartAsyncInvoke",
			Code:    CodeTokenNotFound,
			Message: fmt.Sprintf("ConflictException for client request token %s, but no job submitted since %s carries it: %s", req.Token, searchSince.Format(time.RFC3339), conflict.ErrorMessage()),
		}
	}
	return Started{InvocationArn: status.InvocationArn, RecoveredByToken: true}, nil
}

// Status is a job's state as GetAsyncInvoke reports it.
type Status struct {
	InvocationArn      string
	ClientRequestToken string
	ModelArn           string
	Status             string
	FailureMessage     string
	SubmitTime         time.Time
	EndTime            time.Time
	OutputURI          string
}

// Get returns the state of job arn. Errors are *Error.
func (c *Client) Get(ctx context.Context, arn string) (Status, error) {
	callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	out, err := c.api.GetAsyncInvoke(callCtx, &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String(arn)})
	if err != nil {
		return Status{}, classify("GetAsyncInvoke", "", err)
	}
	return Status{
		InvocationArn:      aws.ToString(out.InvocationArn),
		ClientRequestToken: aws.ToString(out.ClientRequestToken),
		ModelArn:           aws.ToString(out.ModelArn),
		Status:             string(out.Status),
		FailureMessage:     aws.ToString(out.FailureMessage),
		SubmitTime:         aws.ToTime(out.SubmitTime),
		EndTime:            aws.ToTime(out.EndTime),
		OutputURI:          outputURI(out.OutputDataConfig),
	}, nil
}

// maxListPages bounds the search of FindByToken (1,000 jobs a page).
const maxListPages = 20

// FindByToken looks for the job submitted since since whose client request
// token is token, newest first. Errors are *Error.
func (c *Client) FindByToken(ctx context.Context, token string, since time.Time) (Status, bool, error) {
	input := &bedrockruntime.ListAsyncInvokesInput{
		MaxResults: aws.Int32(1000),
		SortBy:     types.SortAsyncInvocationBySubmissionTime,
		SortOrder:  types.SortOrderDescending,
	}
	if !since.IsZero() {
		input.SubmitTimeAfter = aws.Time(since)
	}
	pages := bedrockruntime.NewListAsyncInvokesPaginator(c.api, input)
	for i := 0; pages.HasMorePages() && i < maxListPages; i++ {
		callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
		page, err := pages.NextPage(callCtx)
		cancel()
		if err != nil {
			return Status{}, false, classify("ListAsyncInvokes", "", err)
		}
		for _, s := range page.AsyncInvokeSummaries {
			if aws.ToString(s.ClientRequestToken) == token {
				return Status{
					InvocationArn:      aws.ToString(s.InvocationArn),
					ClientRequestToken: token,
					ModelArn:           aws.ToString(s.ModelArn),
					Status:             string(s.Status),
					FailureMessage:     aws.ToString(s.FailureMessage),
					SubmitTime:         aws.ToTime(s.SubmitTime),
					EndTime:            aws.ToTime(s.EndTime),
					OutputURI:          outputURI(s.OutputDataConfig),
				}, true, nil
			}
		}
	}
	return Status{}, false, nil
}

// InvocationID is the last segment of an invocation ARN
// (arn:aws:bedrock:<region>:<account>:async-invoke/<id>), the folder Amazon
// Nova Reel writes the job's output to.
func InvocationID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func outputURI(cfg types.AsyncInvokeOutputDataConfig) string {
	if s3, ok := cfg.(*types.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig); ok {
		return aws.ToString(s3.Value.S3Uri)
	}
	return ""
}

// modelDocument converts a JSON object into the plain Go values the SDK's
// document encoder serializes faithfully: maps, slices, strings, booleans,
// and int64 or float64 numbers (it does not understand json.Number or json
// struct tags).
func modelDocument(raw json.RawMessage) (document.Interface, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("model input is not JSON: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("model input must be a JSON object")
	}
	return document.NewLazyDocument(plain(v)), nil
}

func plain(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = plain(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = plain(e)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

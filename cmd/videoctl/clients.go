package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// pipeline holds the clients of one deployed pipeline.
type pipeline struct {
	target target
	cfg    aws.Config
	s3     *s3.Client
	store  *jobstore.Store

	mu      sync.Mutex
	bedrock map[string]*bedrockruntime.Client // by region
}

// connect resolves the pipeline and builds its clients.
func connect(ctx context.Context, c commonFlags, n need) (*pipeline, error) {
	t, err := resolveTarget(ctx, c, n)
	if err != nil {
		return nil, err
	}
	return dial(ctx, t, c.region)
}

// dial builds the clients of a resolved pipeline.
func dial(ctx context.Context, t target, region string) (*pipeline, error) {
	cfg, err := loadAWS(ctx, region)
	if err != nil {
		return nil, err
	}
	// With an endpoint override (AWS_ENDPOINT_URL_S3) path-style addressing,
	// as S3-compatible endpoints and local fakes need; as the handler does.
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Objects written without a checksum (job.json by older writers,
		// uploads by other tools) are fine; do not log about each one.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &pipeline{target: t, cfg: cfg, s3: client, store: jobstore.New(client, t.Bucket), bedrock: map[string]*bedrockruntime.Client{}}, nil
}

// sqsClient returns a client for the queue's own region (read from its
// URL), which may differ from the bucket's.
func (p *pipeline) sqsClient() (*sqs.Client, error) {
	region, err := queueRegion(p.target.QueueURL)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(p.cfg, func(o *sqs.Options) {
		o.Region = region
		// A message is a paid Bedrock job. A send that failed after SQS may
		// have accepted it (a 5xx, a lost reply) is not repeated, or the
		// job could run twice; throttling answers are refused before
		// anything is stored, so only they are retried.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			throttled := retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}
			so.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(throttled.IsErrorThrottle)}
		})
	}), nil
}

// maybeSent reports whether a failed SendMessage may still have queued
// the message: anything but an error SQS answered with a 4xx status.
func maybeSent(err error) bool {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode() >= 500
	}
	return true
}

// bedrockClient returns a Bedrock Runtime client for the region of an
// invocation ARN (arn:aws:bedrock:<region>:<account>:async-invoke/<id>).
func (p *pipeline) bedrockClient(invocationArn string) (*bedrockruntime.Client, error) {
	parts := strings.SplitN(invocationArn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "bedrock" || parts[3] == "" || !strings.HasPrefix(parts[5], "async-invoke/") {
		return nil, fmt.Errorf("%q is not a Bedrock async-invoke ARN", invocationArn)
	}
	region := parts[3]
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.bedrock[region]; ok {
		return c, nil
	}
	c := bedrockruntime.NewFromConfig(p.cfg, func(o *bedrockruntime.Options) { o.Region = region })
	p.bedrock[region] = c
	return c, nil
}

// explain adds what to do to AWS errors a user can fix.
func explain(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return fmt.Errorf("%w\nYour AWS session expired: log in again (`aws sso login`) or refresh the credentials", err)
		case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId":
			return fmt.Errorf("%w\nAWS does not accept these credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID and the account", err)
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist":
			return fmt.Errorf("%w\nThe queue does not exist in this account and region: check --queue-url / %s or deploy with `pulumi up`", err, envQueueURL)
		case "NoSuchBucket":
			return fmt.Errorf("%w\nThe bucket does not exist: check --bucket / %s and --region (the bucket lives in the Bedrock region)", err, envBucket)
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden {
		return fmt.Errorf("%w\nAccess denied: your identity needs sqs:SendMessage on the job queue, s3:GetObject, s3:PutObject and s3:ListBucket on the bucket, and bedrock:GetAsyncInvoke", err)
	}
	return err
}

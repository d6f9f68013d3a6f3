// Package workflow is the durable function that turns SQS records into
// videos: for every record of a batch, in a child context of its own, it
// validates the job, starts it on Bedrock exactly once per message —
// waiting for Bedrock capacity when the account's concurrent-job quota is
// in use — waits for it at no cost while suspended (on a durable callback
// the notifier completes when the video lands, with sparse fallback
// checks; or, with event-driven completion off, on a poll schedule), and
// writes the outcome to S3. Its result is the SQS partial batch
// response listing the records that have no outcome yet (job still
// running, waiting for capacity), so SQS redelivers them (and, after
// maxReceiveCount attempts, moves them to the dead-letter queue).
package workflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/completion"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/metrics"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// Deps is what the workflow runs with.
type Deps struct {
	Config  config.Config
	Bedrock *bedrockjob.Client
	Store   *jobstore.Store
	// Events publishes the completion event of every finished job.
	Events *completion.Publisher
	// Metrics writes the handler's metrics into its logs.
	Metrics metrics.Emitter
	// Now reads the clock; it is only called inside steps, whose results
	// are checkpointed. Nil means time.Now.
	Now func() time.Time
	// StartRetry overrides the retry strategy of the start step (nil: the
	// default, see StartRetryPolicy).
	StartRetry durable.RetryStrategy
}

// NewDeps builds the AWS clients for cfg from config.LoadDefaultConfig in
// the Bedrock region (EventBridge in the function's region), so the
// standard environment applies (credentials,
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL_EVENTBRIDGE, ...).
func NewDeps(ctx context.Context, cfg config.Config) (Deps, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.BedrockRegion))
	if err != nil {
		return Deps{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	// The event bus is in the function's own region, which Lambda sets
	// (AWS_REGION) and the SDK reads; outside Lambda, the Bedrock region.
	eventsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return Deps{}, fmt.Errorf("loading AWS configuration for EventBridge: %w", err)
	}
	if eventsCfg.Region == "" {
		eventsCfg.Region = cfg.BedrockRegion
	}
	return Deps{
		Config:  cfg,
		Bedrock: bedrockjob.NewFromConfig(awsCfg),
		Store:   jobstore.NewFromConfig(awsCfg, cfg.OutputBucket),
		Events:  completion.NewFromConfig(eventsCfg, cfg.EventBus),
		Metrics: MetricsEmitter(cfg, lambdacontext.FunctionName),
	}, nil
}

// StartRetryPolicy retries the start step after faults — Bedrock's
// transient server errors, network errors, S3 errors — with exponential
// backoff and full jitter (2 s doubling to 60 s, 6 attempts, about a
// minute of waiting at most), and never Bedrock's terminal ones
// (validation, access, missing resource, end of life, unresolved
// conflict), which would fail the same way again. Capacity answers
// (quota, throttling) are not faults: they are waited out for as long as
// the budget allows (see admitAndStart).
var StartRetryPolicy = durable.RetryPolicy{
	MaxAttempts:  6,
	InitialDelay: 2 * time.Second,
	MaxDelay:     60 * time.Second,
	BackoffRate:  2,
	Jitter:       durable.JitterFull,
	Retryable:    retryable,
}

// Handler returns the durable handler: input the SQS batch, output the
// partial batch response.
func Handler(d Deps) durable.Handler[events.SQSEvent, events.SQSEventResponse] {
	w := &workflow{deps: d}
	if w.deps.Now == nil {
		w.deps.Now = time.Now
	}
	if w.deps.StartRetry == nil {
		w.deps.StartRetry = StartRetryPolicy.Strategy()
	}
	return w.run
}

type workflow struct {
	deps Deps
	// gate lets one record of the batch at a time through the admission
	// check and the start call (see admitted).
	gate sync.Mutex
}

func (w *workflow) run(ctx durable.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	if len(ev.Records) == 0 {
		return resp, nil
	}
	// The execution's deadline, read once and checkpointed: every record
	// must be done waiting by then, leaving the safety margin before the
	// durable execution timeout.
	deadline, err := durable.Step(ctx, "deadline", func(durable.StepContext) (time.Time, error) {
		return w.deps.Now().UTC().Add(pollschedule.Budget(w.deps.Config.ExecutionTimeout)), nil
	}, durable.WithRetry(durable.NoRetry))
	if err != nil {
		return resp, err
	}

	tolerated := len(ev.Records)
	batch, err := durable.Map(ctx, "records", ev.Records,
		func(ctx durable.Context, rec events.SQSMessage, _ int) (Outcome, error) {
			return w.processRecord(ctx, rec, deadline)
		},
		durable.WithMaxConcurrency(w.deps.Config.MaxConcurrency),
		durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: &tolerated}),
		durable.WithItemNamer(func(i int) string { return "record " + ev.Records[i].MessageId }),
	)
	if err != nil {
		return resp, err
	}
	// A record is reported for redelivery while it has no outcome yet: its
	// job is still running, it is waiting for capacity, or its child
	// context failed. A record with an outcome in result.json, SUCCEEDED or
	// FAILED, is done: redelivering a FAILED one (invalid body, Bedrock
	// refusal, job failed) would end the same way, each time a visibility
	// timeout later, so maxReceiveCount only has to guard against crashes
	// and endless deferral.
	done := make(map[int]bool, len(batch.Items))
	deferred := 0
	for _, item := range batch.Items {
		switch {
		case item.Status == durable.ItemFailed:
			ctx.Logger().Error("record failed", "messageId", ev.Records[item.Index].MessageId, "error", item.Err)
		case item.Status != durable.ItemSucceeded:
		case item.Result.Status == jobstore.StatusSucceeded || item.Result.Status == jobstore.StatusFailed:
			done[item.Index] = true
		case item.Result.Status == StatusWaitingForCapacity:
			deferred++
		}
	}
	for i, rec := range ev.Records {
		if !done[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	ctx.Logger().Info("batch done", append([]any{"records", len(ev.Records), "redeliver", len(resp.BatchItemFailures)},
		w.batchMetrics(w.deps.Now(), deferred, len(resp.BatchItemFailures))...)...)
	return resp, nil
}

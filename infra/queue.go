package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// deadLetterRetentionSeconds keeps failed jobs as long as SQS allows
// (14 days) so they can be inspected and redriven.
const deadLetterRetentionSeconds = 14 * 24 * 3600

// declareQueues creates the job queue and its dead-letter queue, both with
// SQS-managed encryption and a maximum message size of config.MaxJobBodyBytes
// (1 MiB), the job body limit of the handler and the largest message SQS
// accepts (SQS API reference, SendMessage: "The maximum size is 1 MiB or
// 1,048,576 bytes"). Left unset, pulumi-aws keeps SQS's default of 262,144
// bytes (Pulumi Registry, aws.sqs.Queue, maxMessageSize), and SendMessage
// would refuse bodies the handler accepts, such as jobs with inline images.
// A job moved to the dead-letter queue keeps its body; both queues take the
// same bodies, so a redrive in either direction never meets a smaller limit.
//
// The job queue's visibility timeout is
// Settings.EffectiveVisibilityTimeoutSeconds: it covers a whole durable
// execution (the mapping keeps each message in flight until the execution it
// started ends) and the function timeout (Lambda validates that).
func (p *VideoPipeline) declareQueues(ctx *pulumi.Context, name string, s Settings, parent pulumi.ResourceOption) error {
	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MaxMessageSize:          pulumi.Int(config.MaxJobBodyBytes),
		MessageRetentionSeconds: pulumi.Int(deadLetterRetentionSeconds),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring dead-letter queue: %w", err)
	}
	p.DeadLetterQueue = dlq

	redrive := dlq.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"deadLetterTargetArn": arn,
			"maxReceiveCount":     s.MaxReceiveCount,
		})
		if err != nil {
			return "", fmt.Errorf("encoding redrive policy: %w", err)
		}
		return string(b), nil
	}).(pulumi.StringOutput)

	queue, err := sqs.NewQueue(ctx, name+"-jobs", &sqs.QueueArgs{
		SqsManagedSseEnabled:     pulumi.Bool(true),
		MaxMessageSize:           pulumi.Int(config.MaxJobBodyBytes),
		VisibilityTimeoutSeconds: pulumi.Int(s.EffectiveVisibilityTimeoutSeconds()),
		RedrivePolicy:            redrive,
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring job queue: %w", err)
	}
	p.Queue = queue
	return nil
}

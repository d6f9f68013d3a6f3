package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// deadLetterRetentionSeconds keeps failed jobs as long as SQS allows
// (14 days) so they can be inspected and redriven.
const deadLetterRetentionSeconds = 14 * 24 * 3600

// declareQueues creates the job queue and its dead-letter queue, both with
// SQS-managed encryption. The job queue's visibility timeout is
// Settings.EffectiveVisibilityTimeoutSeconds: it covers a whole durable
// execution (the mapping keeps each message in flight until the execution it
// started ends) and six times the function timeout.
func (p *VideoPipeline) declareQueues(ctx *pulumi.Context, name string, s Settings, parent pulumi.ResourceOption) error {
	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
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
		VisibilityTimeoutSeconds: pulumi.Int(s.EffectiveVisibilityTimeoutSeconds()),
		RedrivePolicy:            redrive,
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring job queue: %w", err)
	}
	p.Queue = queue
	return nil
}

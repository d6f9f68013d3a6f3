package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// Alarm evaluation. Every alarm fires on one bad data point: each of them
// means a job that did not produce its video.
const (
	// alarmPeriodSeconds is the period of the alarms on job and function
	// metrics.
	alarmPeriodSeconds = 300
	// queueAlarmPeriodSeconds is the period of the dead-letter queue alarm;
	// SQS sends its metrics to CloudWatch every minute.
	queueAlarmPeriodSeconds = 60
)

// alarmSpec is one CloudWatch alarm of the pipeline.
type alarmSpec struct {
	suffix, description          string
	namespace, metric, statistic string
	dimension                    string
	dimensionValue               pulumi.StringInput
	period                       int
	threshold                    float64
	comparison                   string
	treatMissingData             string
}

// declareOperations creates what operators watch: the alarm topic (with
// an email subscription when alarmEmail is set), the alarms on the
// dead-letter queue, on failed jobs and on function errors, and the
// dashboard.
func (p *VideoPipeline) declareOperations(ctx *pulumi.Context, name string, s Settings, parent pulumi.ResourceOption) error {
	// No KMS key: CloudWatch alarms cannot publish to a topic encrypted
	// with the AWS managed key alias/aws/sns, and alarm messages carry no
	// job data.
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{
		DisplayName: pulumi.String("Video pipeline alarms"),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring alarm topic: %w", err)
	}
	p.AlarmTopic = topic
	if s.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-alarm-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(s.AlarmEmail),
		}, parent); err != nil {
			return fmt.Errorf("declaring alarm email subscription: %w", err)
		}
	}

	dlqName := queueName(p.DeadLetterQueue.Arn)
	specs := []alarmSpec{{
		suffix: "dead-letter-jobs",
		description: "Jobs reached the dead-letter queue: maxReceiveCount deliveries ended without an outcome " +
			"(the function crashed or timed out, or the job waited for Bedrock capacity every time). " +
			"Read the function logs for their message ids, fix the cause, then redrive them to the job queue.",
		namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", statistic: "Maximum",
		dimension: "QueueName", dimensionValue: dlqName,
		period: queueAlarmPeriodSeconds, threshold: 1, comparison: "GreaterThanOrEqualToThreshold",
		// SQS sends a queue's metrics only while the queue is active
		// ("Available CloudWatch metrics for Amazon SQS", SQS developer
		// guide); keep the last state instead of going back to OK while
		// jobs still wait in a quiet dead-letter queue.
		treatMissingData: "ignore",
	}, {
		suffix: "failed-jobs",
		description: "Jobs ended FAILED (see the JobsFailed metric by ErrorType and the jobs' result.json). " +
			"InvalidJob: fix the sender; JobFailed: Bedrock refused the content; access or quota types: check IAM and Bedrock quotas.",
		namespace: s.MetricsNamespace, metric: metrics.JobsFailed, statistic: "Sum",
		dimension: metrics.DimFunctionName, dimensionValue: p.Function.Name,
		period: alarmPeriodSeconds, threshold: 1, comparison: "GreaterThanOrEqualToThreshold",
		// The handler writes JobsFailed only when a job fails: a period
		// without data is a period without failed jobs.
		treatMissingData: "notBreaching",
	}, {
		suffix: "function-errors",
		description: "Invocations of the durable function failed (crash, timeout, configuration error). " +
			"Read the function's log group; a configuration error stops every job until it is fixed.",
		namespace: "AWS/Lambda", metric: "Errors", statistic: "Sum",
		dimension: "FunctionName", dimensionValue: p.Function.Name,
		period: alarmPeriodSeconds, threshold: 1, comparison: "GreaterThanOrEqualToThreshold",
		// Lambda sends Errors only for periods with invocations.
		treatMissingData: "notBreaching",
	}}
	actions := pulumi.Array{topic.Arn}
	for _, a := range specs {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+a.suffix, &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(a.namespace),
			MetricName:         pulumi.String(a.metric),
			Statistic:          pulumi.String(a.statistic),
			Dimensions:         pulumi.StringMap{a.dimension: a.dimensionValue},
			Period:             pulumi.Int(a.period),
			EvaluationPeriods:  pulumi.Int(1),
			DatapointsToAlarm:  pulumi.Int(1),
			Threshold:          pulumi.Float64(a.threshold),
			ComparisonOperator: pulumi.String(a.comparison),
			TreatMissingData:   pulumi.String(a.treatMissingData),
			AlarmActions:       actions,
			OkActions:          actions,
		}, parent)
		if err != nil {
			return fmt.Errorf("declaring alarm %s: %w", a.suffix, err)
		}
		p.Alarms = append(p.Alarms, alarm)
	}

	return p.declareDashboard(ctx, name, s, parent)
}

// arnPart returns field i of an ARN output (1 partition, 3 region,
// 4 account, 5 resource).
func arnPart(arn pulumi.StringOutput, i int) pulumi.StringOutput {
	return arn.ApplyT(func(a string) (string, error) {
		parts := strings.SplitN(a, ":", 6)
		if len(parts) != 6 {
			return "", fmt.Errorf("%q is not an ARN", a)
		}
		return parts[i], nil
	}).(pulumi.StringOutput)
}

// queueName is the name of the queue an SQS ARN names.
func queueName(arn pulumi.StringOutput) pulumi.StringOutput { return arnPart(arn, 5) }

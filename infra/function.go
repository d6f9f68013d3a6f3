package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// functionDeleteTimeout gives AWS time to stop running durable executions
// when the function is deleted.
const functionDeleteTimeout = "60m"

// declareFunction creates the log group, the durable function, its alias
// and the provisioned-mode SQS event source mapping on that alias. The
// function timeout is at least the durable execution timeout (ValidateAt):
// the mapping invokes synchronously, and such an invocation of a durable
// function may end at the lower of the two.
func (p *VideoPipeline) declareFunction(ctx *pulumi.Context, name string, s Settings, artifact *Artifact,
	perms []pulumi.Resource, queuePerm pulumi.Resource, parent pulumi.ResourceOption,
) error {
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/aws/lambda/" + name + "-"),
		RetentionInDays: pulumi.Int(s.LogRetentionDays),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring log group: %w", err)
	}
	p.LogGroup = logs

	fn, err := lambda.NewFunction(ctx, name+"-handler", &lambda.FunctionArgs{
		Description:    pulumi.String("Turns queued prompts into videos with Amazon Bedrock (durable function)"),
		Runtime:        pulumi.String("provided.al2023"),
		Handler:        pulumi.String("bootstrap"),
		Architectures:  pulumi.StringArray{pulumi.String(s.Architecture)},
		Code:           pulumi.NewFileArchive(artifact.ZipPath),
		SourceCodeHash: pulumi.String(artifact.Base64SHA256),
		Role:           p.Role.Arn,
		MemorySize:     pulumi.Int(s.MemorySizeMB),
		Timeout:        pulumi.Int(s.FunctionTimeoutSeconds),
		Publish:        pulumi.Bool(true),
		DurableConfig: &lambda.FunctionDurableConfigArgs{
			ExecutionTimeout: pulumi.Int(s.DurableExecutionTimeoutSeconds),
			RetentionPeriod:  pulumi.Int(s.DurableRetentionDays),
		},
		Environment: &lambda.FunctionEnvironmentArgs{
			Variables: handlerEnvironment(s, p.Bucket.Bucket),
		},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logs.Name,
		},
	}, parent,
		pulumi.DependsOn(append([]pulumi.Resource{logs}, perms...)),
		pulumi.Timeouts(&pulumi.CustomTimeouts{Delete: functionDeleteTimeout}),
	)
	if err != nil {
		return fmt.Errorf("declaring function: %w", err)
	}
	p.Function = fn

	alias, err := lambda.NewAlias(ctx, name+"-live", &lambda.AliasArgs{
		Name:            pulumi.String(AliasName),
		Description:     pulumi.String("Published version the job queue invokes"),
		FunctionName:    fn.Name,
		FunctionVersion: fn.Version,
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring alias: %w", err)
	}
	p.Alias = alias

	// No ScalingConfig: AWS rejects it together with provisioned mode.
	esm, err := lambda.NewEventSourceMapping(ctx, name+"-jobs-to-handler", &lambda.EventSourceMappingArgs{
		EventSourceArn:                 p.Queue.Arn,
		FunctionName:                   alias.Arn,
		Enabled:                        pulumi.Bool(true),
		BatchSize:                      pulumi.Int(s.BatchSize),
		MaximumBatchingWindowInSeconds: pulumi.Int(s.MaximumBatchingWindowSeconds),
		FunctionResponseTypes:          pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		ProvisionedPollerConfig: &lambda.EventSourceMappingProvisionedPollerConfigArgs{
			MinimumPollers: pulumi.Int(s.MinimumPollers),
			MaximumPollers: pulumi.Int(s.MaximumPollers),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{queuePerm}))
	if err != nil {
		return fmt.Errorf("declaring event source mapping: %w", err)
	}
	p.EventSourceMapping = esm
	return nil
}

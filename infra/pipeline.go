// Package infra holds the VideoPipeline Pulumi component: an SQS queue that
// feeds a Go Lambda durable function through a provisioned-mode event source
// mapping, an S3 bucket in the Bedrock region that receives the videos
// Amazon Bedrock renders asynchronously, and (with event-driven completion)
// a notifier function the bucket invokes when a video lands, which ends the
// durable function's wait for it.
package infra

import (
	"cmp"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// ComponentType is the Pulumi type token of VideoPipeline.
const ComponentType = "bedrockvideo:index:VideoPipeline"

// AliasName is the alias the event source mapping invokes. Durable functions
// must be invoked through a qualified ARN (a version or an alias).
const AliasName = "live"

// VideoPipelineArgs configure a VideoPipeline.
type VideoPipelineArgs struct {
	// Settings are the pipeline settings; they are validated by
	// NewVideoPipeline. Use DefaultSettings or SettingsFromConfig.
	Settings Settings
	// Handler, when set, is the already built handler archive to deploy, and
	// Build is ignored. Programs leave it nil; tests and programs that build
	// the handler themselves set it.
	Handler *Artifact
	// Build says how to build the handler when Handler is nil. Its GOARCH is
	// taken from Settings.Architecture.
	Build BuildOptions
	// Notifier, when set, is the already built notifier archive to deploy
	// (with Settings.EventDrivenCompletion), and NotifierBuild is ignored.
	Notifier *Artifact
	// NotifierBuild says how to build the notifier when Notifier is nil;
	// an empty Package means DefaultNotifierPackage. Its GOARCH is taken
	// from Settings.Architecture.
	NotifierBuild BuildOptions
}

// VideoPipeline is the whole video pipeline as one reusable component.
type VideoPipeline struct {
	pulumi.ResourceState

	// QueueURL is the URL to send jobs to.
	QueueURL pulumi.StringOutput `pulumi:"queueUrl"`
	// DeadLetterQueueURL is where jobs land after maxReceiveCount failures.
	DeadLetterQueueURL pulumi.StringOutput `pulumi:"deadLetterQueueUrl"`
	// BucketName is the bucket that receives videos and results.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	// FunctionName is the durable function's name.
	FunctionName pulumi.StringOutput `pulumi:"functionName"`
	// FunctionAliasArn is the qualified ARN the queue invokes.
	FunctionAliasArn pulumi.StringOutput `pulumi:"functionAliasArn"`
	// AlarmTopicArn is the SNS topic every alarm notifies.
	AlarmTopicArn pulumi.StringOutput `pulumi:"alarmTopicArn"`
	// DashboardURL is the CloudWatch console address of the dashboard.
	DashboardURL pulumi.StringOutput `pulumi:"dashboardUrl"`
	// NotifierLogGroupName is the notifier's log group, in the Bedrock
	// region; empty when event-driven completion is off.
	NotifierLogGroupName pulumi.StringOutput `pulumi:"notifierLogGroupName"`

	// Bucket is the output bucket.
	Bucket *s3.Bucket
	// Queue is the job queue.
	Queue *sqs.Queue
	// DeadLetterQueue receives jobs that failed maxReceiveCount times.
	DeadLetterQueue *sqs.Queue
	// Role is the function's execution role.
	Role *iam.Role
	// LogGroup receives the function's JSON logs.
	LogGroup *cloudwatch.LogGroup
	// Function is the durable function.
	Function *lambda.Function
	// Alias is the alias the event source mapping targets.
	Alias *lambda.Alias
	// EventSourceMapping connects Queue to Alias.
	EventSourceMapping *lambda.EventSourceMapping
	// AlarmTopic receives the alarms' notifications.
	AlarmTopic *sns.Topic
	// Alarms are the dead-letter queue, failed jobs and function errors
	// alarms.
	Alarms []*cloudwatch.MetricAlarm
	// Dashboard shows the queue, the jobs and the function.
	Dashboard *cloudwatch.Dashboard
	// Notifier is the notifier function, in the bucket's region; nil when
	// event-driven completion is off, like the other Notifier* fields.
	Notifier *lambda.Function
	// NotifierRole is the notifier's execution role.
	NotifierRole *iam.Role
	// NotifierLogGroup receives the notifier's JSON logs.
	NotifierLogGroup *cloudwatch.LogGroup
	// NotifierPermission lets the bucket invoke the notifier.
	NotifierPermission *lambda.Permission
	// BucketNotification sends the bucket's video ObjectCreated events to
	// the notifier.
	BucketNotification *s3.BucketNotification

	// bucketConfigured is the last of the bucket's configuration
	// resources, which S3 wants applied one after another.
	bucketConfigured pulumi.Resource
}

// NewVideoPipeline validates the settings, builds the handler (unless
// args.Handler is given) and declares every resource of the pipeline as a
// child of the component. An invalid setting or a failing build stops the
// program before any resource is registered.
func NewVideoPipeline(ctx *pulumi.Context, name string, args *VideoPipelineArgs, opts ...pulumi.ResourceOption) (*VideoPipeline, error) {
	if args == nil {
		return nil, fmt.Errorf("video pipeline %q: args are required", name)
	}
	s := args.Settings
	if err := s.Validate(); err != nil {
		return nil, err
	}

	artifact := args.Handler
	if artifact == nil {
		build := args.Build
		build.GOARCH = s.GOARCH()
		built, err := BuildHandler(ctx.Context(), build)
		if err != nil {
			return nil, fmt.Errorf("video pipeline %q: %w", name, err)
		}
		artifact = &built
	}
	notifierArtifact := args.Notifier
	if notifierArtifact == nil && s.EventDrivenCompletion {
		build := args.NotifierBuild
		build.Package = cmp.Or(build.Package, DefaultNotifierPackage)
		build.GOARCH = s.GOARCH()
		built, err := BuildHandler(ctx.Context(), build)
		if err != nil {
			return nil, fmt.Errorf("video pipeline %q: notifier: %w", name, err)
		}
		notifierArtifact = &built
	}

	p := &VideoPipeline{}
	if err := ctx.RegisterComponentResource(ComponentType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering component %q: %w", name, err)
	}
	parent := pulumi.Parent(p)

	partition, err := aws.GetPartition(ctx, nil, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS account: %w", err)
	}
	ids := arns{partition: partition.Partition, account: caller.AccountId, region: s.BedrockRegion}

	if err := p.declareBucket(ctx, name, s, parent); err != nil {
		return nil, err
	}
	if err := p.declareQueues(ctx, name, s, parent); err != nil {
		return nil, err
	}
	perms, queuePerm, err := p.declareRole(ctx, name, s, ids, parent)
	if err != nil {
		return nil, err
	}
	if err := p.declareFunction(ctx, name, s, artifact, perms, queuePerm, parent); err != nil {
		return nil, err
	}
	if err := p.declareOperations(ctx, name, s, parent); err != nil {
		return nil, err
	}
	if s.EventDrivenCompletion {
		if err := p.declareNotifier(ctx, name, s, ids, notifierArtifact, parent); err != nil {
			return nil, err
		}
	}

	p.QueueURL = p.Queue.Url
	p.DeadLetterQueueURL = p.DeadLetterQueue.Url
	p.BucketName = p.Bucket.Bucket
	p.FunctionName = p.Function.Name
	p.FunctionAliasArn = p.Alias.Arn
	p.AlarmTopicArn = p.AlarmTopic.Arn
	p.NotifierLogGroupName = pulumi.String("").ToStringOutput()
	if p.NotifierLogGroup != nil {
		p.NotifierLogGroupName = p.NotifierLogGroup.Name
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"queueUrl":             p.QueueURL,
		"deadLetterQueueUrl":   p.DeadLetterQueueURL,
		"bucketName":           p.BucketName,
		"functionName":         p.FunctionName,
		"functionAliasArn":     p.FunctionAliasArn,
		"alarmTopicArn":        p.AlarmTopicArn,
		"dashboardUrl":         p.DashboardURL,
		"notifierLogGroupName": p.NotifierLogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of %q: %w", name, err)
	}
	return p, nil
}

// HandlerConfig is the handler configuration these settings deploy with the
// given bucket: what the function reads back from its environment.
func (s Settings) HandlerConfig(bucket string) config.Config {
	return config.Config{
		OutputBucket:     bucket,
		DefaultModel:     s.BedrockModelID,
		AllowedModels:    s.ModelIDs(),
		BedrockRegion:    s.BedrockRegion,
		ExecutionTimeout: time.Duration(s.DurableExecutionTimeoutSeconds) * time.Second,
		MaxConcurrency:   config.DefaultMaxConcurrency,
		EventBus:         s.EventBusName,
		MetricsNamespace: s.MetricsNamespace,
		ConcurrentJobs:   s.BedrockConcurrentJobs,
		// The workflow registers callbacks only when a notifier is
		// deployed to complete them.
		CompletionCallbacks: s.EventDrivenCompletion,
	}
}

// handlerEnvironment is the function's environment, built by the handler's
// settings contract (config.Config.Environ) once the bucket name is known,
// so the deployment spells no variable name and writes only what the
// handler accepts: a configuration the handler would refuse fails the
// deployment instead of every invocation.
func handlerEnvironment(s Settings, bucketName pulumi.StringOutput) pulumi.StringMapOutput {
	return bucketName.ApplyT(func(bucket string) (map[string]string, error) {
		c := s.HandlerConfig(bucket)
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("function environment: %w", err)
		}
		return c.Environ(), nil
	}).(pulumi.StringMapOutput)
}

// policyJSON renders a policy document built from one resolved string (an
// ARN) as a StringOutput.
func policyJSON(arn pulumi.StringOutput, build func(string) PolicyDocument) pulumi.StringOutput {
	return arn.ApplyT(func(a string) (string, error) {
		return build(a).JSON()
	}).(pulumi.StringOutput)
}

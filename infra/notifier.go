package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// Notifier sizing: one S3 record per invocation, two small API calls.
const (
	notifierMemoryMB       = 128
	notifierTimeoutSeconds = 30
)

// declareNotifier creates the notifier function and what it needs: its log
// group and role, the permission for S3 to invoke it, and the bucket
// notification for the videos (ObjectCreated under videos/ ending in .mp4).
//
// S3 notifies only a function in the bucket's own region (Amazon S3 user
// guide, "Supported event destinations"), so the log group, function and
// permission carry Region like the bucket; the notifier calls the Lambda
// callback API in the durable function's region, given by its ARN.
//
// The durable function's role gains nothing: creating a callback is a
// CheckpointDurableExecution update (a CALLBACK operation's START), which
// the managed durable execution policy already grants.
func (p *VideoPipeline) declareNotifier(ctx *pulumi.Context, name string, s Settings, ids arns, artifact *Artifact,
	parent pulumi.ResourceOption,
) error {
	region := pulumi.String(s.BedrockRegion)

	logs, err := cloudwatch.NewLogGroup(ctx, name+"-notifier-logs", &cloudwatch.LogGroupArgs{
		Region:          region,
		NamePrefix:      pulumi.String("/aws/lambda/" + name + "-notifier-"),
		RetentionInDays: pulumi.Int(s.LogRetentionDays),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring notifier log group: %w", err)
	}
	p.NotifierLogGroup = logs

	trust, err := lambdaAssumeRolePolicy().JSON()
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-notifier-role", &iam.RoleArgs{
		Description:      pulumi.String("Execution role of the Bedrock video pipeline's notifier function"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring notifier role: %w", err)
	}
	p.NotifierRole = role

	doc := pulumi.All(logs.Arn, p.Bucket.Arn, p.Function.Arn).ApplyT(func(v []any) (string, error) {
		return notifierPolicy(v[0].(string), v[1].(string), v[2].(string)).JSON()
	}).(pulumi.StringOutput)
	access, err := iam.NewRolePolicy(ctx, name+"-notifier-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: doc,
	}, parent, pulumi.DependsOn([]pulumi.Resource{role}))
	if err != nil {
		return fmt.Errorf("declaring notifier policy: %w", err)
	}

	env := pulumi.All(p.Bucket.Bucket, p.Function.Arn).ApplyT(func(v []any) (map[string]string, error) {
		c := config.NotifierConfig{OutputBucket: v[0].(string), DurableFunctionARN: v[1].(string)}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("notifier environment: %w", err)
		}
		return c.Environ(), nil
	}).(pulumi.StringMapOutput)
	fn, err := lambda.NewFunction(ctx, name+"-notifier", &lambda.FunctionArgs{
		Region:         region,
		Description:    pulumi.String("Completes a job's durable callback when its video lands in the output bucket"),
		Runtime:        pulumi.String("provided.al2023"),
		Handler:        pulumi.String("bootstrap"),
		Architectures:  pulumi.StringArray{pulumi.String(s.Architecture)},
		Code:           pulumi.NewFileArchive(artifact.ZipPath),
		SourceCodeHash: pulumi.String(artifact.Base64SHA256),
		Role:           role.Arn,
		MemorySize:     pulumi.Int(notifierMemoryMB),
		Timeout:        pulumi.Int(notifierTimeoutSeconds),
		Environment:    &lambda.FunctionEnvironmentArgs{Variables: env},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logs.Name,
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{logs, access}))
	if err != nil {
		return fmt.Errorf("declaring notifier function: %w", err)
	}
	p.Notifier = fn

	// Scoped by SourceArn and SourceAccount, so that no other bucket (a
	// bucket name can be reused by another account once deleted) may
	// invoke the notifier.
	perm, err := lambda.NewPermission(ctx, name+"-notifier-from-bucket", &lambda.PermissionArgs{
		Region:        region,
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      fn.Name,
		Principal:     pulumi.String("s3.amazonaws.com"),
		SourceArn:     p.Bucket.Arn,
		SourceAccount: pulumi.String(ids.account),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring notifier permission: %w", err)
	}
	p.NotifierPermission = perm

	// S3 verifies that the function's permissions let it invoke the
	// function when the notification is put (Amazon S3 API reference,
	// PutBucketNotificationConfiguration), hence the dependency on the
	// permission; and it rejects concurrent configuration changes of one
	// bucket, hence the one on the bucket's last configuration resource.
	notification, err := s3.NewBucketNotification(ctx, name+"-output-notification", &s3.BucketNotificationArgs{
		Region: region,
		Bucket: p.Bucket.ID(),
		LambdaFunctions: s3.BucketNotificationLambdaFunctionArray{
			&s3.BucketNotificationLambdaFunctionArgs{
				LambdaFunctionArn: fn.Arn,
				Events:            pulumi.StringArray{pulumi.String("s3:ObjectCreated:*")},
				FilterPrefix:      pulumi.String(config.OutputPrefix),
				FilterSuffix:      pulumi.String(config.VideoSuffix),
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{perm, p.bucketConfigured}))
	if err != nil {
		return fmt.Errorf("declaring bucket notification: %w", err)
	}
	p.BucketNotification = notification
	return nil
}

package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// durableExecutionPolicyName is the AWS managed policy that grants a durable
// function its checkpoint APIs (lambda:CheckpointDurableExecution,
// lambda:GetDurableExecutionState) and CloudWatch Logs writes. It is the only
// policy of the role with "*" resources, which is how AWS wrote it.
const durableExecutionPolicyName = "service-role/AWSLambdaBasicDurableExecutionRolePolicy"

// declareRole creates the function's role with least privilege: the managed
// durable execution policy, and one inline policy each for the queue,
// Bedrock and the output bucket. It returns every permission resource (the
// function must wait for them) and, separately, the queue policy (the event
// source mapping is checked against it when it is created).
func (p *VideoPipeline) declareRole(ctx *pulumi.Context, name string, s Settings, ids arns, parent pulumi.ResourceOption) ([]pulumi.Resource, pulumi.Resource, error) {
	trust, err := lambdaAssumeRolePolicy().JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("Execution role of the Bedrock video pipeline's durable function"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("declaring function role: %w", err)
	}
	p.Role = role
	onRole := pulumi.DependsOn([]pulumi.Resource{role})

	managed, err := iam.NewRolePolicyAttachment(ctx, name+"-durable-execution", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.Sprintf("arn:%s:iam::aws:policy/%s", ids.partition, durableExecutionPolicyName),
	}, parent, onRole)
	if err != nil {
		return nil, nil, fmt.Errorf("attaching durable execution policy: %w", err)
	}

	queuePolicy, err := iam.NewRolePolicy(ctx, name+"-queue-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyJSON(p.Queue.Arn, queueConsumerPolicy),
	}, parent, onRole)
	if err != nil {
		return nil, nil, fmt.Errorf("declaring queue policy: %w", err)
	}

	bedrockDoc, err := bedrockPolicy(ids, s.ModelIDs()).JSON()
	if err != nil {
		return nil, nil, err
	}
	bedrock, err := iam.NewRolePolicy(ctx, name+"-bedrock-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: pulumi.String(bedrockDoc),
	}, parent, onRole)
	if err != nil {
		return nil, nil, fmt.Errorf("declaring Bedrock policy: %w", err)
	}

	bucketPolicy, err := iam.NewRolePolicy(ctx, name+"-bucket-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyJSON(p.Bucket.Arn, outputBucketPolicy),
	}, parent, onRole)
	if err != nil {
		return nil, nil, fmt.Errorf("declaring bucket access policy: %w", err)
	}

	// The event bus is in the function's region, which is the queue's.
	events, err := iam.NewRolePolicy(ctx, name+"-events-access", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: policyJSON(p.Queue.Arn, func(queueArn string) PolicyDocument {
			return eventsPolicy(eventBusArn(queueArn, s.EventBusName))
		}),
	}, parent, onRole)
	if err != nil {
		return nil, nil, fmt.Errorf("declaring event bus policy: %w", err)
	}

	return []pulumi.Resource{managed, queuePolicy, bedrock, bucketPolicy, events}, queuePolicy, nil
}

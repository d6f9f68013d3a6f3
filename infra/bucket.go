package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// declareBucket creates the output bucket in the Bedrock region (every
// bucket resource carries Region, since the provider's region is the
// function's) and hardens it: all public access blocked, ACLs disabled
// (bucket owner enforced), SSE-S3 encryption, expiry of videos/ after
// OutputExpirationDays, and a policy denying requests without TLS.
func (p *VideoPipeline) declareBucket(ctx *pulumi.Context, name string, s Settings, parent pulumi.ResourceOption) error {
	region := pulumi.String(s.BedrockRegion)

	bucket, err := s3.NewBucket(ctx, name+"-output", &s3.BucketArgs{
		Region:       region,
		ForceDestroy: pulumi.Bool(s.ForceDestroy),
	}, parent)
	if err != nil {
		return fmt.Errorf("declaring output bucket: %w", err)
	}
	p.Bucket = bucket
	inBucket := pulumi.DependsOn([]pulumi.Resource{bucket})

	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-output-public-access", &s3.BucketPublicAccessBlockArgs{
		Region:                region,
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent, inBucket)
	if err != nil {
		return fmt.Errorf("declaring public access block: %w", err)
	}
	// S3 rejects concurrent changes to one bucket's configuration now and
	// then (OperationAborted), so the sub-resources are applied one after
	// another.
	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-output-ownership", &s3.BucketOwnershipControlsArgs{
		Region: region,
		Bucket: bucket.ID(),
		Rule: &s3.BucketOwnershipControlsRuleArgs{
			ObjectOwnership: pulumi.String("BucketOwnerEnforced"),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{pab}))
	if err != nil {
		return fmt.Errorf("declaring ownership controls: %w", err)
	}
	sse, err := s3.NewBucketServerSideEncryptionConfiguration(ctx, name+"-output-encryption", &s3.BucketServerSideEncryptionConfigurationArgs{
		Region: region,
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationRuleArray{
			&s3.BucketServerSideEncryptionConfigurationRuleArgs{
				ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs{
					// SSE-S3: Bedrock writes with the caller's identity and
					// would need KMS permissions for a customer key.
					SseAlgorithm: pulumi.String("AES256"),
				},
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{ownership}))
	if err != nil {
		return fmt.Errorf("declaring bucket encryption: %w", err)
	}
	lifecycle, err := s3.NewBucketLifecycleConfiguration(ctx, name+"-output-lifecycle", &s3.BucketLifecycleConfigurationArgs{
		Region: region,
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationRuleArray{
			&s3.BucketLifecycleConfigurationRuleArgs{
				Id:     pulumi.String("expire-videos"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationRuleFilterArgs{
					Prefix: pulumi.String(config.OutputPrefix),
				},
				Expiration: &s3.BucketLifecycleConfigurationRuleExpirationArgs{
					Days: pulumi.Int(s.OutputExpirationDays),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(1),
				},
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{sse}))
	if err != nil {
		return fmt.Errorf("declaring bucket lifecycle: %w", err)
	}
	policy, err := s3.NewBucketPolicy(ctx, name+"-output-policy", &s3.BucketPolicyArgs{
		Region: region,
		Bucket: bucket.ID(),
		Policy: policyJSON(bucket.Arn, denyInsecureTransportPolicy),
	}, parent, pulumi.DependsOn([]pulumi.Resource{pab, lifecycle}))
	if err != nil {
		return fmt.Errorf("declaring bucket policy: %w", err)
	}
	p.bucketConfigured = policy
	return nil
}

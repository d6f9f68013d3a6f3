package infra

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PolicyDocument is an IAM policy document. The pipeline builds its policies
// from these types rather than from string templates so that every document
// is valid JSON by construction.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument.
type PolicyStatement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// JSON renders the document.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encoding policy document: %w", err)
	}
	return string(b), nil
}

func newPolicy(statements ...PolicyStatement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// VideoPrefix is the key prefix under which the handler writes job.json and
// result.json and Bedrock writes its output (videos/<messageId>/...).
const VideoPrefix = "videos/"

// arns builds the ARNs the pipeline's policies refer to.
type arns struct {
	partition string
	account   string
	region    string // the Bedrock region
}

func (a arns) foundationModel(modelID string) string {
	return fmt.Sprintf("arn:%s:bedrock:%s::foundation-model/%s", a.partition, a.region, modelID)
}

func (a arns) asyncInvokes() string {
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:async-invoke/*", a.partition, a.region, a.account)
}

// lambdaAssumeRolePolicy lets the Lambda service assume the function role.
func lambdaAssumeRolePolicy() PolicyDocument {
	return newPolicy(PolicyStatement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "lambda.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	})
}

// queueConsumerPolicy is what the event source mapping needs (it polls with
// the function's role): receive, delete and read attributes of this queue.
func queueConsumerPolicy(queueArn string) PolicyDocument {
	return newPolicy(PolicyStatement{
		Sid:      "ConsumeJobQueue",
		Effect:   "Allow",
		Action:   []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
		Resource: []string{queueArn},
	})
}

// bedrockPolicy lets the function start and follow asynchronous invocations.
//
// What Nova Reel video generation needs, per the Amazon Nova user guide
// ("Video generation access and usage"): bedrock:InvokeModel and
// s3:PutObject at minimum (StartAsyncInvoke is authorized by
// bedrock:InvokeModel, says the Bedrock API reference), plus
// bedrock:GetAsyncInvoke and bedrock:ListAsyncInvokes to track jobs.
// InvokeModel is granted on the allowed models' foundation-model ARNs and on
// this account's async-invoke resources (the invocation being created); the
// two tracking actions only on the async-invoke resources, all in the
// Bedrock region. (Should AWS evaluate ListAsyncInvokes only against "*",
// that one call would be denied: the pipeline forbids "*" resources, and the
// handler follows a job by its invocation ARN with GetAsyncInvoke.)
func bedrockPolicy(a arns, modelIDs []string) PolicyDocument {
	invoke := make([]string, 0, len(modelIDs)+1)
	for _, id := range modelIDs {
		invoke = append(invoke, a.foundationModel(id))
	}
	invoke = append(invoke, a.asyncInvokes())
	return newPolicy(
		PolicyStatement{
			Sid:      "StartAsyncInvokeOnAllowedModels",
			Effect:   "Allow",
			Action:   []string{"bedrock:InvokeModel"},
			Resource: invoke,
		},
		PolicyStatement{
			Sid:      "FollowAsyncInvocations",
			Effect:   "Allow",
			Action:   []string{"bedrock:GetAsyncInvoke", "bedrock:ListAsyncInvokes"},
			Resource: []string{a.asyncInvokes()},
		},
	)
}

// outputBucketPolicy lets the function (and Bedrock, see below) read and
// write under videos/ of the output bucket only.
//
// Bedrock asynchronous invocation writes the video to S3 with the caller's
// identity (a forward-access session of the role that called
// StartAsyncInvoke), not with a Bedrock service role, so s3:PutObject on the
// output prefix in this role is what lets Bedrock deliver
// videos/<messageId>/<invocationId>/output.mp4. The bucket uses SSE-S3, so no
// KMS permission is needed for that write. Multipart uploads are authorized
// by s3:PutObject too; the lifecycle rule aborts any that are left behind.
//
// s3:ListBucket is granted on the bucket, restricted by s3:prefix to
// videos/, because without it S3 answers a GET for a missing object with 403
// instead of 404 and the handler could not tell "not written yet" from
// "forbidden".
func outputBucketPolicy(bucketArn string) PolicyDocument {
	return newPolicy(
		PolicyStatement{
			Sid:      "ReadWriteVideos",
			Effect:   "Allow",
			Action:   []string{"s3:PutObject", "s3:GetObject"},
			Resource: []string{bucketArn + "/" + VideoPrefix + "*"},
		},
		PolicyStatement{
			Sid:       "ListVideosPrefix",
			Effect:    "Allow",
			Action:    []string{"s3:ListBucket"},
			Resource:  []string{bucketArn},
			Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{VideoPrefix + "*"}}},
		},
	)
}

// denyInsecureTransportPolicy is the bucket policy: every request that does
// not use TLS is denied, whoever makes it.
func denyInsecureTransportPolicy(bucketArn string) PolicyDocument {
	return newPolicy(PolicyStatement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: "*",
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	})
}

// eventBusArn is the ARN of the event bus named bus in the region and
// account of another ARN of the same region (the queue's): the resource
// type event-bus, arn:${Partition}:events:${Region}:${Account}:event-bus/${EventBusName}
// (Service Authorization Reference, Amazon EventBridge).
func eventBusArn(sameRegionArn, bus string) string {
	parts := strings.SplitN(sameRegionArn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", parts[1], parts[3], parts[4], bus)
}

// eventsPolicy lets the function publish completion events to one bus:
// events:PutEvents takes the event-bus resource type (Service
// Authorization Reference, Amazon EventBridge).
func eventsPolicy(busArn string) PolicyDocument {
	return newPolicy(PolicyStatement{
		Sid:      "PublishCompletionEvents",
		Effect:   "Allow",
		Action:   []string{"events:PutEvents"},
		Resource: []string{busArn},
	})
}

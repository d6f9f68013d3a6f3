package infra

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bedrockvideo/pipeline/handler/config"
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
// StartAsyncInvoke is authorized by bedrock:InvokeModel (Bedrock API
// reference, "StartAsyncInvoke"); the Service Authorization Reference
// ("Actions, resources, and condition keys for Amazon Bedrock") lists
// foundation-model and async-invoke as its resource types, so it is granted
// on the allowed models' foundation-model ARNs and on this account's
// async-invoke resources in the Bedrock region. bedrock:GetAsyncInvoke
// requires the async-invoke resource type and is scoped the same way.
//
// bedrock:ListAsyncInvokes has no resource type in the Service Authorization
// Reference (access level List): a statement naming any ARN never matches
// it, and only "Resource": "*" grants it. It gets a statement of its own on
// "*" — the one "*" of the pipeline's own policies — and nothing else shares
// that statement. It only lists this account's invocations in the Bedrock
// region (submit time, status, model, output location); the handler needs it
// to find the invocation a retried StartAsyncInvoke answered with
// ConflictException, so a paid job is followed instead of being marked
// failed while it keeps running.
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
			Action:   []string{"bedrock:GetAsyncInvoke"},
			Resource: []string{a.asyncInvokes()},
		},
		PolicyStatement{
			Sid:      "ListAsyncInvocations",
			Effect:   "Allow",
			Action:   []string{"bedrock:ListAsyncInvokes"},
			Resource: []string{"*"},
		},
	)
}

// outputBucketPolicy lets the function (and Bedrock, see below) read and
// write under videos/ of the output bucket, and read under inputs/.
//
// Bedrock asynchronous invocation writes the video to S3 with the caller's
// identity (a forward-access session of the role that called
// StartAsyncInvoke), not with a Bedrock service role, so s3:PutObject on the
// output prefix in this role is what lets Bedrock deliver the video under
// videos/<messageId>/<invocationId>/. The bucket uses SSE-S3, so no KMS
// permission is needed for that write. Multipart uploads are authorized by
// s3:PutObject too; the lifecycle rule aborts any that are left behind.
// Bedrock reads an input image given as an s3Location with the same
// identity, hence s3:GetObject on inputs/ (and only there: a job cannot make
// the function read anything else in the account).
//
// s3:ListBucket is granted on the bucket, restricted by s3:prefix to
// videos/ and inputs/: the handler lists a job's output prefix to find the
// video Bedrock wrote (Luma Ray2 documents no output key), and without the
// grant S3 answers a GET for a missing object with 403 instead of 404, so
// the handler could not tell "not written yet" or "no such input image" from
// "forbidden".
func outputBucketPolicy(bucketArn string) PolicyDocument {
	return newPolicy(
		PolicyStatement{
			Sid:      "ReadWriteVideos",
			Effect:   "Allow",
			Action:   []string{"s3:PutObject", "s3:GetObject"},
			Resource: []string{bucketArn + "/" + config.OutputPrefix + "*"},
		},
		PolicyStatement{
			Sid:      "ReadInputImages",
			Effect:   "Allow",
			Action:   []string{"s3:GetObject"},
			Resource: []string{bucketArn + "/" + config.InputPrefix + "*"},
		},
		PolicyStatement{
			Sid:       "ListVideosAndInputs",
			Effect:    "Allow",
			Action:    []string{"s3:ListBucket"},
			Resource:  []string{bucketArn},
			Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{config.OutputPrefix + "*", config.InputPrefix + "*"}}},
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

// callbackRecordPattern matches every message's callback.json under the
// output prefix.
const callbackRecordPattern = config.OutputPrefix + "*/callback.json"

// notifierPolicy is everything the notifier function may do: write its own
// logs, read the workflow's callback records, and complete callbacks of the
// durable function.
//
// Logs: CreateLogStream takes the log-group resource type and PutLogEvents
// the log-stream type (Service Authorization Reference, Amazon CloudWatch
// Logs), so both are granted on the notifier's log group and its streams
// only, instead of the managed basic execution policy's "*".
//
// S3: s3:GetObject on videos/*/callback.json only, not on the videos; and
// s3:ListBucket restricted by s3:prefix to the same keys, because without
// it S3 answers a GET for a missing record with 403 instead of 404 and the
// notifier could not tell "no callback registered" (skip the event) from
// "forbidden" (fail it).
//
// Lambda: SendDurableExecutionCallbackSuccess is authorized against the
// durable execution's ARN, function:<name>:<version>/durable-execution/...,
// which an unqualified function ARN never matches ("Security and
// permissions for Lambda durable functions", Lambda developer guide);
// <function ARN>:* grants the executions of every version of the durable
// function and of no other function. The notifier never sends failures or
// heartbeats, so those actions are not granted.
func notifierPolicy(logGroupArn, bucketArn, functionArn string) PolicyDocument {
	return newPolicy(
		PolicyStatement{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupArn, logGroupArn + ":log-stream:*"},
		},
		PolicyStatement{
			Sid:      "ReadCallbackRecords",
			Effect:   "Allow",
			Action:   []string{"s3:GetObject"},
			Resource: []string{bucketArn + "/" + callbackRecordPattern},
		},
		PolicyStatement{
			Sid:       "TellMissingCallbackRecords",
			Effect:    "Allow",
			Action:    []string{"s3:ListBucket"},
			Resource:  []string{bucketArn},
			Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{callbackRecordPattern}}},
		},
		PolicyStatement{
			Sid:      "CompleteDurableFunctionCallbacks",
			Effect:   "Allow",
			Action:   []string{"lambda:SendDurableExecutionCallbackSuccess"},
			Resource: []string{functionArn + ":*"},
		},
	)
}

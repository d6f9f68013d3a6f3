package awsfake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

func TestSQSSendMessage(t *testing.T) {
	fake := awsfake.NewSQS(t)
	queue := fake.CreateQueue("video-jobs")
	client := sqs.NewFromConfig(awsfake.ClientConfig(fake.URL()))
	ctx := context.Background()

	out, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(`{"prompt":"a fox"}`)})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	msgs := fake.Messages(queue)
	if len(msgs) != 1 || msgs[0].MessageID != aws.ToString(out.MessageId) || msgs[0].Body != `{"prompt":"a fox"}` {
		t.Fatalf("queue holds %+v, SDK got id %q", msgs, aws.ToString(out.MessageId))
	}

	tests := []struct {
		name     string
		queue    string
		body     string
		wantCode string
	}{
		{"unknown queue", "https://sqs.us-east-1.amazonaws.com/123456789012/nope", "x", "AWS.SimpleQueueService.NonExistentQueue"},
		{"empty body", queue, "", "MissingParameter"},
		{"body over 1 MiB", queue, strings.Repeat("a", awsfake.SQSMaxMessageBytes+1), "InvalidParameterValue"},
		{"control character", queue, "a\x01b", "InvalidMessageContents"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(tc.queue), MessageBody: aws.String(tc.body)})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
				t.Fatalf("error = %v, want code %s", err, tc.wantCode)
			}
		})
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/123456789012/nope"), MessageBody: aws.String("x")}); !errors.As(err, new(*types.QueueDoesNotExist)) {
		t.Errorf("unknown queue: error %T %v, want *types.QueueDoesNotExist", err, err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(strings.Repeat("é", awsfake.SQSMaxMessageBytes/2))}); err != nil {
		t.Errorf("a body of exactly 1 MiB is accepted by SQS: %v", err)
	}
	west := sqs.NewFromConfig(awsfake.ClientConfig(fake.URL()), func(o *sqs.Options) { o.Region = "us-west-2" })
	_, err = west.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String("x")})
	if apiErr := smithy.APIError(nil); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("a request signed for another region: %v, want SignatureDoesNotMatch", err)
	}
	if got := len(fake.Messages(queue)); got != 2 {
		t.Errorf("queue holds %d messages, want 2 (rejected ones are not stored)", got)
	}
}

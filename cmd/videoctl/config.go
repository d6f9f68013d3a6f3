package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// Environment variables videoctl reads besides the AWS SDK's own
// (AWS_REGION, AWS_PROFILE, credentials, AWS_ENDPOINT_URL_*).
const (
	envQueueURL = "VIDEOCTL_QUEUE_URL"
	envBucket   = "VIDEOCTL_BUCKET"
)

// Stack output names the Pulumi program exports (main.go).
const (
	outputQueueURL = "queueUrl"
	outputBucket   = "bucketName"
)

// pulumiTimeout bounds one `pulumi stack output` run.
const pulumiTimeout = 60 * time.Second

// target is where the pipeline lives.
type target struct {
	QueueURL string
	Bucket   string
	// Source says where the values came from, for error messages.
	Source string
}

// need says which values a command needs.
type need struct{ queue, bucket bool }

// resolveTarget finds the queue URL and bucket: flags first; then, unless
// --stack names a stack explicitly, VIDEOCTL_QUEUE_URL and VIDEOCTL_BUCKET;
// then the outputs of the Pulumi stack.
func resolveTarget(ctx context.Context, c commonFlags, n need) (target, error) {
	t := target{QueueURL: c.queueURL, Bucket: c.bucket, Source: "flags"}
	if c.stack == "" {
		if t.QueueURL == "" {
			t.QueueURL = os.Getenv(envQueueURL)
		}
		if t.Bucket == "" {
			t.Bucket = os.Getenv(envBucket)
		}
		t.Source = "flags and environment"
	}
	missing := n.queue && t.QueueURL == "" || n.bucket && t.Bucket == ""
	if missing {
		outputs, stackErr := stackOutputs(ctx, c.stack)
		if stackErr != nil {
			return target{}, stackErr
		}
		stackName := "the selected stack"
		if c.stack != "" {
			stackName = "stack " + c.stack
		}
		t.Source = "the outputs of " + stackName
		if t.QueueURL == "" {
			t.QueueURL = outputs[outputQueueURL]
		}
		if t.Bucket == "" {
			t.Bucket = outputs[outputBucket]
		}
		for _, o := range []struct {
			needed bool
			name   string
			value  string
		}{{n.queue, outputQueueURL, t.QueueURL}, {n.bucket, outputBucket, t.Bucket}} {
			if o.needed && o.value == "" {
				return target{}, fmt.Errorf("%s has no output %q: the pipeline is not deployed there yet; run `pulumi up` (or pick another stack with --stack)", stackName, o.name)
			}
		}
	}
	if n.queue {
		if _, err := queueRegion(t.QueueURL); err != nil {
			return target{}, fmt.Errorf("queue URL from %s: %w", t.Source, err)
		}
	}
	if n.bucket && !config.IsBucketName(t.Bucket) {
		return target{}, fmt.Errorf("bucket %q from %s is not an S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)", t.Bucket, t.Source)
	}
	return t, nil
}

// stackOutputs runs `pulumi stack output --json [--stack NAME]` in the
// current directory and returns the string outputs.
func stackOutputs(ctx context.Context, stack string) (map[string]string, error) {
	bin, err := exec.LookPath("pulumi")
	if err != nil {
		return nil, errors.New("no queue or bucket configured: pass --queue-url and --bucket, or set " + envQueueURL + " and " + envBucket +
			", or install the Pulumi CLI and run videoctl in the project directory so it can read `pulumi stack output`")
	}
	ctx, cancel := context.WithTimeout(ctx, pulumiTimeout)
	defer cancel()
	args := []string{"stack", "output", "--json"}
	if stack != "" {
		args = append(args, "--stack", stack)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		detail := strings.TrimSpace(stderr.String())
		if detail == "" {
			detail = err.Error()
		}
		return nil, fmt.Errorf("reading the stack outputs (pulumi %s) failed: %s\n"+
			"Deploy the pipeline with `pulumi up`, select its stack with `pulumi stack select NAME` or pass --stack NAME, "+
			"or give --queue-url and --bucket (or %s and %s)", strings.Join(args, " "), detail, envQueueURL, envBucket)
	}
	var raw map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		return nil, fmt.Errorf("pulumi %s printed no JSON object: %w", strings.Join(args, " "), err)
	}
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, nil
}

// queueRegion reads the region from an SQS queue URL,
// https://sqs.<region>.amazonaws.com/<account>/<name> (the form SQS and
// the stack output give).
func queueRegion(queueURL string) (string, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q is not a queue URL like https://sqs.us-east-1.amazonaws.com/123456789012/name", queueURL)
	}
	m := queueHostPattern.FindStringSubmatch(u.Host)
	if m == nil || len(strings.Split(strings.Trim(u.Path, "/"), "/")) != 2 {
		return "", fmt.Errorf("%q is not a queue URL like https://sqs.us-east-1.amazonaws.com/123456789012/name", queueURL)
	}
	return m[1], nil
}

var queueHostPattern = regexp.MustCompile(`^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$`)

// loadAWS loads the SDK configuration (credentials, profile, endpoints from
// AWS_ENDPOINT_URL_*) for region (empty: the SDK's default) and checks
// that credentials are available, so a missing login is reported before
// anything is sent.
func loadAWS(ctx context.Context, region string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: pass --region (the region of the pipeline's bucket and Bedrock) or set AWS_REGION")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("no AWS credentials: run `aws configure` or `aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (%w)", err)
	}
	return cfg, nil
}

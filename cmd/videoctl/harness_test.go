package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

const testBucket = "video-pipeline-outputs"

// world is a deployed pipeline made of fakes: the SQS, S3 and Bedrock
// fakes speaking the real protocols, and a consumer that plays the
// handler's part through its own jobstore: it validates each message,
// starts a Bedrock job and writes job.json, and writes result.json when
// Bedrock says the job ended.
type world struct {
	t       *testing.T
	sqs     *awsfake.SQS
	s3      *awsfake.S3
	bedrock *awsfake.Bedrock
	store   *jobstore.Store
	queue   string
	env     map[string]string

	mu      sync.Mutex
	pending map[string]string // invocation ARN → message id, jobs without result.json
}

// newWorld starts the fakes and points videoctl at them through the
// environment only, as a user's shell would.
func newWorld(t *testing.T) *world {
	w := &world{
		t:       t,
		sqs:     awsfake.NewSQS(t),
		s3:      awsfake.NewS3(t, testBucket),
		bedrock: awsfake.NewBedrock(t),
		pending: map[string]string{},
	}
	w.queue = w.sqs.CreateQueue("video-pipeline-jobs")
	w.bedrock.WriteOutputTo(w.s3)
	client := s3.NewFromConfig(awsfake.ClientConfig(w.s3.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	w.store = jobstore.New(client, testBucket)
	w.sqs.OnSend(w.consume)

	empty := t.TempDir()
	w.env = map[string]string{
		"AWS_ACCESS_KEY_ID":                "AKIDVIDEOCTLTEST",
		"AWS_SECRET_ACCESS_KEY":            "secret",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_REGION":                       "us-east-1",
		"AWS_CONFIG_FILE":                  filepath.Join(empty, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(empty, "credentials"),
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_ENDPOINT_URL":                 "",
		"AWS_ENDPOINT_URL_SQS":             w.sqs.URL(),
		"AWS_ENDPOINT_URL_S3":              w.s3.URL(),
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": w.bedrock.URL(),
		envQueueURL:                        w.queue,
		envBucket:                          testBucket,
		"PATH":                             empty, // no pulumi
		"TERM":                             "xterm",
	}
	for k, v := range w.env {
		t.Setenv(k, v)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.finishJobs(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// consume plays the handler's start: validate, start the Bedrock job with
// the message's token, write job.json.
func (w *world) consume(_ string, m awsfake.SQSMessage) {
	ctx := context.Background()
	job, err := jobspec.Parse(m.Body, validationPolicy())
	if err != nil {
		var invalid *jobspec.InvalidJobError
		errors.As(err, &invalid)
		w.writeResult(ctx, jobstore.Result{Status: jobstore.StatusFailed, MessageID: m.MessageID,
			Error: &jobstore.ResultError{Type: invalid.ErrorType(), Message: err.Error()}, CompletedAt: jobstore.Timestamp(time.Now())})
		return
	}
	sum := sha256.Sum256([]byte(m.MessageID))
	token := hex.EncodeToString(sum[:])
	started := w.bedrock.AddJob(token, job.Model, jobstore.OutputURI(testBucket, m.MessageID), job.ModelInput)
	rec := jobstore.JobRecord{MessageID: m.MessageID, InvocationArn: started.InvocationArn, Model: job.Model,
		ClientRequestToken: token, OutputURI: started.OutputS3URI, SubmittedAt: started.SubmitTime}
	if _, err := w.store.CreateJob(ctx, rec); err != nil {
		w.t.Errorf("writing job.json: %v", err)
		return
	}
	w.mu.Lock()
	w.pending[started.InvocationArn] = m.MessageID
	w.mu.Unlock()
}

// finishJobs writes result.json for every job Bedrock has ended, as the
// handler's poll loop does.
func (w *world) finishJobs(ctx context.Context) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, job := range w.bedrock.Jobs() {
			w.mu.Lock()
			id, ok := w.pending[job.InvocationArn]
			if ok && job.Status != awsfake.StatusInProgress {
				delete(w.pending, job.InvocationArn)
			}
			w.mu.Unlock()
			if !ok || job.Status == awsfake.StatusInProgress {
				continue
			}
			r := jobstore.Result{MessageID: id, Model: job.ModelID, InvocationArn: job.InvocationArn,
				SubmittedAt: jobstore.Timestamp(job.SubmitTime), CompletedAt: jobstore.Timestamp(job.EndTime), Checks: job.Gets}
			if job.Status == awsfake.StatusCompleted {
				r.Status, r.VideoURI = jobstore.StatusSucceeded, job.OutputS3URI+"/"+job.ID+"/output.mp4"
			} else {
				r.Status, r.Error = jobstore.StatusFailed, &jobstore.ResultError{Type: "JobFailed", Message: job.FailureMessage}
			}
			w.writeResult(ctx, r)
		}
	}
}

func (w *world) writeResult(ctx context.Context, r jobstore.Result) {
	if err := w.store.WriteResult(ctx, r); err != nil && ctx.Err() == nil {
		w.t.Errorf("writing result.json: %v", err)
	}
}

// result is one videoctl run.
type result struct {
	stdout, stderr string
	code           int
}

// videoctl runs the CLI in-process with a deadline.
func videoctl(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// videoctlTo runs the CLI in-process writing its standard output to out.
func videoctlTo(t *testing.T, out io.Writer, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	code := run(ctx, args, out, &stderr)
	return result{"", stderr.String(), code}
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/videomodels"
)

const (
	testBucket = "video-pipeline-outputs"
	// region is where the test pipeline lives: Luma Ray2's region.
	region = "us-west-2"
)

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
	starter *bedrockjob.Client
	policy  jobspec.Policy
	queue   string
	env     map[string]string

	mu sync.Mutex
	// pickUp is how long the consumer takes to pick the next message up.
	pickUp  time.Duration
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
	w.sqs.Region = region
	w.queue = w.sqs.CreateQueue("video-pipeline-jobs")
	w.bedrock.WriteOutputTo(w.s3)
	client := s3.NewFromConfig(awsfake.ClientConfig(w.s3.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	w.store = jobstore.New(client, testBucket)
	w.starter = bedrockjob.New(bedrockruntime.NewFromConfig(awsfake.ClientConfig(w.bedrock.URL())))
	// The deployment's policy: the live model by default, every model
	// allowed (end-of-life ones are refused by Bedrock itself).
	w.policy = jobspec.Policy{Default: videomodels.Default().ID, Allowed: jobspec.KnownModels(), Bucket: testBucket}
	w.sqs.OnSend(w.consume)

	empty := t.TempDir()
	w.env = map[string]string{
		"AWS_ACCESS_KEY_ID":                "AKIDVIDEOCTLTEST",
		"AWS_SECRET_ACCESS_KEY":            "secret",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_REGION":                       region,
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

// consume plays the handler's start: validate with the deployment's
// policy, start the Bedrock job with the message's token through the
// handler's own client, write job.json.
func (w *world) consume(_ string, m awsfake.SQSMessage) {
	w.mu.Lock()
	delay := w.pickUp
	w.pickUp = 0
	w.mu.Unlock()
	if delay > 0 {
		go func() { time.Sleep(delay); w.consume("", m) }()
		return
	}
	ctx := context.Background()
	fail := func(typ, msg string) {
		w.writeResult(ctx, jobstore.Result{Status: jobstore.StatusFailed, MessageID: m.MessageID,
			Error: &jobstore.ResultError{Type: typ, Message: msg}, CompletedAt: jobstore.Timestamp(time.Now())})
	}
	job, err := jobspec.Parse(m.Body, w.policy)
	if err != nil {
		fail("InvalidJob", err.Error())
		return
	}
	token := bedrockjob.ClientRequestToken(m.MessageID)
	started, err := w.starter.Start(ctx, bedrockjob.StartRequest{Token: token, ModelID: job.Model, ModelInput: job.ModelInput,
		OutputURI: jobstore.OutputURI(testBucket, m.MessageID)}, time.Now().Add(-time.Hour))
	if err != nil {
		fail("StartFailed", err.Error())
		return
	}
	rec := jobstore.JobRecord{MessageID: m.MessageID, InvocationArn: started.InvocationArn, Model: job.Model,
		ClientRequestToken: token, OutputURI: jobstore.OutputURI(testBucket, m.MessageID), SubmittedAt: time.Now().UTC()}
	if _, err := w.store.CreateJob(ctx, rec); err != nil {
		w.t.Errorf("writing job.json: %v", err)
		return
	}
	w.mu.Lock()
	w.pending[started.InvocationArn] = m.MessageID
	w.mu.Unlock()
}

// finishJobs writes result.json for every job Bedrock has ended, finding
// the video by listing as the handler does.
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
				key, found, err := w.store.FindVideo(ctx, id, job.ID)
				if err != nil || !found {
					w.t.Errorf("no video for %s: %v", id, err)
					continue
				}
				r.Status, r.VideoURI = jobstore.StatusSucceeded, "s3://"+testBucket+"/"+key
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

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

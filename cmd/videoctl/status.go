package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	brtypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// request is request.json.
type request struct {
	MessageID    string          `json:"messageId"`
	Body         json.RawMessage `json:"body"`
	Model        string          `json:"model"`
	VideoSeconds int             `json:"videoSeconds"`
	SentAt       time.Time       `json:"sentAt"`
}

// Prompt is the request's prompt, or its shots' prompts joined.
func (r request) Prompt() string {
	var b jobspec.Body
	if json.Unmarshal(r.Body, &b) != nil {
		return ""
	}
	if b.Prompt != "" || len(b.Shots) == 0 {
		return b.Prompt
	}
	s := ""
	for i, shot := range b.Shots {
		if i > 0 {
			s += " / "
		}
		s += shot.Prompt
	}
	return s
}

func (p *pipeline) putRequest(ctx context.Context, r request) error {
	body, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding request.json: %w", err)
	}
	_, err = p.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.target.Bucket), Key: aws.String(jobstore.RequestKey(r.MessageID)),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/json"),
	})
	return err
}

// loadRequest reads request.json; found is false for jobs not sent by
// videoctl.
func (p *pipeline) loadRequest(ctx context.Context, messageID string) (r request, found bool, err error) {
	out, err := p.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.target.Bucket), Key: aws.String(jobstore.RequestKey(messageID))})
	if err != nil {
		if errors.As(err, new(*s3types.NoSuchKey)) {
			return request{}, false, nil
		}
		return request{}, false, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 2*jobspec.MaxBodyBytes))
	if err != nil {
		return request{}, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return request{}, false, fmt.Errorf("%s is not a request record: %w", jobstore.RequestKey(messageID), err)
	}
	return r, true, nil
}

// Phases of a job as videoctl shows them.
const (
	phaseQueued     = "queued"     // no job.json yet
	phaseStarted    = "started"    // job.json: Bedrock accepted the job
	phaseGenerating = "generating" // Bedrock says InProgress
	phaseFinishing  = "finishing"  // Bedrock Completed, result.json not written yet
	phaseWaiting    = "waiting"    // result.json with a non-final status (e.g. waiting for capacity)
	phaseSucceeded  = "succeeded"  // result.json SUCCEEDED
	phaseFailed     = "failed"     // result.json FAILED, or Bedrock Failed
)

// snapshot is what is known about a job at one moment.
type snapshot struct {
	MessageID      string                `json:"messageId"`
	Phase          string                `json:"status"`
	Model          string                `json:"model,omitempty"`
	InvocationArn  string                `json:"invocationArn,omitempty"`
	BedrockStatus  string                `json:"bedrockStatus,omitempty"`
	PipelineStatus string                `json:"pipelineStatus,omitempty"`
	SubmittedAt    *time.Time            `json:"submittedAt,omitempty"`
	CompletedAt    *time.Time            `json:"completedAt,omitempty"`
	ElapsedSeconds float64               `json:"elapsedSeconds,omitempty"`
	TypicalSeconds float64               `json:"typicalSeconds,omitempty"`
	VideoURI       string                `json:"videoUri,omitempty"`
	Error          *jobstore.ResultError `json:"error,omitempty"`
	// Note is a warning about the snapshot (e.g. Bedrock unreadable).
	Note string `json:"note,omitempty"`
}

// final reports whether the job has ended.
func (s snapshot) final() bool { return s.Phase == phaseSucceeded || s.Phase == phaseFailed }

// messageIDPattern is the shape of an SQS message id (a UUID) loosely:
// letters, digits and hyphens, so a typo never reaches S3 as another key.
var messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,127}$`)

func checkMessageID(id string) error {
	if !messageIDPattern.MatchString(id) {
		return fmt.Errorf("%q is not a message id (the id submit printed, e.g. 3f1c2a9e-5b7d-4c1e-9f0a-2d4b6c8e0a1b)", id)
	}
	return nil
}

// probe reads a job's records from S3 and, when askBedrock is set and the
// job is running, its Bedrock status.
func (p *pipeline) probe(ctx context.Context, id string, askBedrock bool, now time.Time) (snapshot, error) {
	s := snapshot{MessageID: id, Phase: phaseQueued}
	res, haveResult, err := p.store.LoadResult(ctx, id)
	if err != nil {
		return s, explain(err)
	}
	if haveResult {
		s.Model, s.InvocationArn = res.Model, res.InvocationArn
		s.SubmittedAt, s.CompletedAt = parseTime(res.SubmittedAt), parseTime(res.CompletedAt)
		switch res.Status {
		case jobstore.StatusSucceeded:
			s.Phase, s.VideoURI = phaseSucceeded, res.VideoURI
		case jobstore.StatusFailed:
			s.Phase, s.Error = phaseFailed, res.Error
		default:
			s.Phase, s.PipelineStatus = phaseWaiting, res.Status
		}
		if s.final() {
			if s.SubmittedAt != nil && s.CompletedAt != nil {
				s.ElapsedSeconds = s.CompletedAt.Sub(*s.SubmittedAt).Seconds()
			}
			return s, nil
		}
	}
	rec, haveJob, err := p.store.LoadJob(ctx, id)
	if err != nil {
		return s, explain(err)
	}
	if !haveJob {
		return s, nil
	}
	s.Model, s.InvocationArn = rec.Model, rec.InvocationArn
	submitted := rec.SubmittedAt
	s.SubmittedAt = &submitted
	s.ElapsedSeconds = now.Sub(submitted).Seconds()
	if s.Phase == phaseQueued {
		s.Phase = phaseStarted
	}
	if !askBedrock {
		return s, nil
	}
	client, err := p.bedrockClient(rec.InvocationArn)
	if err != nil {
		return s, err
	}
	out, err := client.GetAsyncInvoke(ctx, &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String(rec.InvocationArn)})
	if err != nil {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		// The S3 records are the source of truth; Bedrock only adds detail.
		s.Note = "cannot read the Bedrock job status: " + explain(err).Error()
		return s, nil
	}
	s.BedrockStatus = string(out.Status)
	switch out.Status {
	case brtypes.AsyncInvokeStatusInProgress:
		if s.Phase != phaseWaiting {
			s.Phase = phaseGenerating
		}
	case brtypes.AsyncInvokeStatusCompleted:
		s.Phase = phaseFinishing
	case brtypes.AsyncInvokeStatusFailed:
		s.Phase = phaseFailed
		s.Error = &jobstore.ResultError{Type: "JobFailed", Message: aws.ToString(out.FailureMessage)}
		if out.EndTime != nil {
			end := out.EndTime.UTC()
			s.CompletedAt = &end
			s.ElapsedSeconds = end.Sub(submitted).Seconds()
		}
	}
	return s, nil
}

// typical is the model's usual generation time for a video of seconds
// (0: the model's shortest), from the poll schedule's profile.
func typical(model string, seconds int) time.Duration {
	if m, ok := videomodels.Lookup(model); ok && seconds == 0 && len(m.Limits.DurationsSeconds) > 0 {
		seconds = m.Limits.DurationsSeconds[0]
	}
	return pollschedule.ProfileFor(model, seconds).Expected
}

func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

package workflow

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// ErrorVideoMissing is the error type of a job Bedrock reported Completed
// whose output prefix holds no video.
const ErrorVideoMissing = "VideoMissing"

// StatusRetryLater is the outcome of a record whose job was still running
// when the execution's budget ran out, or whose start met only transient
// Bedrock faults until its retries ran out: the record is reported as
// failed, SQS redelivers it, and the next execution re-attaches to the
// same job or starts it.
const StatusRetryLater = "RETRY_LATER"

// Outcome is what one record ended with (checkpointed as the Map item's
// result).
type Outcome struct {
	MessageID string `json:"messageId"`
	// Status is jobstore.StatusSucceeded or jobstore.StatusFailed (an
	// outcome, in result.json), or StatusRetryLater or
	// StatusWaitingForCapacity (none yet; the record is redelivered).
	Status        string `json:"status"`
	InvocationArn string `json:"invocationArn,omitempty"`
	VideoURI      string `json:"videoUri,omitempty"`
	ErrorType     string `json:"errorType,omitempty"`
	Error         string `json:"error,omitempty"`
	Checks        int    `json:"checks"`
	// DetectedAt is when the check that saw the job finish ran.
	DetectedAt time.Time `json:"detectedAt,omitzero"`
}

// startedJob is the checkpointed result of the start step.
type startedJob struct {
	InvocationArn string    `json:"invocationArn"`
	Model         string    `json:"model"`
	OutputURI     string    `json:"outputUri"`
	SubmittedAt   time.Time `json:"submittedAt"`
	// AttachedAt is when this execution took the job over; with the
	// deadline it fixes the poll budget.
	AttachedAt time.Time `json:"attachedAt"`
	// Reattached is set when job.json already named the job.
	Reattached bool `json:"reattached,omitempty"`
	// RecoveredByToken is set when a ConflictException was resolved by
	// listing jobs.
	RecoveredByToken bool `json:"recoveredByToken,omitempty"`
}

// processRecord runs one record to its outcome. It returns an error only
// when the invocation suspends or a durable operation cannot run; business
// failures are outcomes.
func (w *workflow) processRecord(ctx durable.Context, rec events.SQSMessage, deadline time.Time) (Outcome, error) {
	id := rec.MessageId
	log := ctx.Logger().With("messageId", id)
	out := Outcome{MessageID: id}

	job, err := jobspec.Parse(rec.Body, jobspec.PolicyFor(w.deps.Config))
	if err != nil {
		log.Warn("invalid job; no Bedrock call made", "status", jobstore.StatusFailed, "error", err.Error())
		return w.finish(ctx, log, out, jobstore.Result{
			Status: jobstore.StatusFailed, MessageID: id,
			Error: &jobstore.ResultError{Type: "InvalidJob", Message: err.Error()},
		})
	}
	if err := w.checkInputs(ctx, id, job); err != nil {
		if durable.IsSuspended(err) {
			return out, err
		}
		typ, msg := errorParts(err)
		log.Warn("input image unusable; no Bedrock call made", "status", jobstore.StatusFailed, "model", job.Model, "errorType", typ, "error", msg)
		return w.finish(ctx, log, out, jobstore.Result{
			Status: jobstore.StatusFailed, MessageID: id, Model: job.Model,
			Error: &jobstore.ResultError{Type: typ, Message: msg},
		})
	}
	log = log.With("model", job.Model, "task", job.Task, "videoSeconds", job.VideoSeconds, "promptChars", job.PromptChars)

	started, deferred, err := w.admitAndStart(ctx, log, id, job, deadline)
	if err != nil {
		if durable.IsSuspended(err) {
			return out, err
		}
		typ, msg := errorParts(err)
		if transientBedrockError(err) {
			// Bedrock kept answering with a transient fault (5xx, no
			// answer) until the step's attempts ran out: the job has no
			// outcome, so the message is redelivered rather than failed.
			log.Warn("Bedrock kept failing transiently; nothing was started and the record will be redelivered",
				"status", StatusRetryLater, "errorType", typ, "error", msg)
			out.Status = StatusRetryLater
			return out, nil
		}
		log.Error("could not start the job", "status", jobstore.StatusFailed, "errorType", typ, "error", msg)
		return w.finish(ctx, log, out, jobstore.Result{
			Status: jobstore.StatusFailed, MessageID: id, Model: job.Model,
			Error: &jobstore.ResultError{Type: typ, Message: msg},
		})
	}
	if deferred {
		out.Status = StatusWaitingForCapacity
		return out, nil
	}
	out.InvocationArn = started.InvocationArn
	log = log.With("invocationArn", started.InvocationArn)
	log.Info("job started", "status", bedrockjob.StatusInProgress, "reattached", started.Reattached, "recoveredByToken", started.RecoveredByToken)
	w.recordStarted(ctx, log, started)

	await := w.awaitJob
	if w.deps.Config.CompletionCallbacks {
		await = w.awaitVideo
	}
	state, err := await(ctx, id, started, job.VideoSeconds, deadline)
	out.Checks, out.DetectedAt = state.Checks, state.DetectedAt
	if err != nil {
		if durable.IsSuspended(err) {
			return out, err
		}
		typ, msg := errorParts(err)
		log.Error("could not follow the job", "status", jobstore.StatusFailed, "checks", state.Checks, "errorType", typ, "error", msg)
		return w.finish(ctx, log, out, jobstore.Result{
			Status: jobstore.StatusFailed, MessageID: id, Model: started.Model, InvocationArn: started.InvocationArn,
			Error:       &jobstore.ResultError{Type: typ, Message: msg},
			SubmittedAt: jobstore.Timestamp(started.SubmittedAt), Checks: state.Checks,
		})
	}

	result := jobstore.Result{
		MessageID: id, Model: started.Model, InvocationArn: started.InvocationArn,
		SubmittedAt: jobstore.Timestamp(started.SubmittedAt), CompletedAt: jobstore.Timestamp(state.EndTime),
		Checks: state.Checks,
	}
	switch state.Status {
	case bedrockjob.StatusCompleted:
		video, err := "s3://"+w.deps.Store.Bucket()+"/"+state.VideoKey, error(nil)
		if state.VideoKey == "" {
			video, err = w.findVideo(ctx, id, started)
		}
		if err != nil {
			if durable.IsSuspended(err) {
				return out, err
			}
			typ, msg := errorParts(err)
			result.Status = jobstore.StatusFailed
			result.Error = &jobstore.ResultError{Type: typ, Message: msg}
			log.Error("job completed but its video was not found", "status", state.Status, "checks", state.Checks, "errorType", typ, "error", msg)
			break
		}
		result.Status = jobstore.StatusSucceeded
		result.VideoURI = video
		log.Info("video ready", "status", state.Status, "checks", state.Checks, "videoUri", result.VideoURI)
	case bedrockjob.StatusFailed:
		result.Status = jobstore.StatusFailed
		result.Error = &jobstore.ResultError{Type: bedrockjob.CodeJobFailed, Message: state.FailureMessage}
		log.Warn("job failed", "status", state.Status, "checks", state.Checks, "error", state.FailureMessage)
	default:
		out.Status = StatusRetryLater
		log.Warn("execution budget spent while the job runs; the message will be redelivered and re-attach to this job",
			"status", state.Status, "checks", state.Checks)
		return out, nil
	}
	return w.finish(ctx, log, out, result)
}

// findVideo lists the job's output prefix in a step and returns the video's
// s3:// URI; a prefix without a video is a terminal ErrorVideoMissing.
func (w *workflow) findVideo(ctx durable.Context, messageID string, started startedJob) (string, error) {
	return durable.Step(ctx, "find video", func(sc durable.StepContext) (string, error) {
		store := w.deps.Store
		key, found, err := store.FindVideo(sc, messageID, bedrockjob.InvocationID(started.InvocationArn))
		if err != nil {
			return "", err
		}
		if !found {
			return "", &videoMissingError{msg: fmt.Sprintf("Bedrock reported job %s Completed, but no .mp4 object is under %s/",
				started.InvocationArn, jobstore.OutputURI(store.Bucket(), messageID))}
		}
		return "s3://" + store.Bucket() + "/" + key, nil
	}, durable.WithRetry(findVideoRetry))
}

// findVideoRetry retries a failed listing but not a prefix without a
// video: S3 lists an object as soon as its write succeeds, so looking again
// would not find one.
var findVideoRetry = s3StepRetry(func(err error) bool {
	var missing *videoMissingError
	return errors.As(err, &missing)
})

// videoMissingError is a completed job without a video.
type videoMissingError struct{ msg string }

func (e *videoMissingError) Error() string { return e.msg }

// ErrorType names the error in checkpoints and result.json.
func (e *videoMissingError) ErrorType() string { return ErrorVideoMissing }

// startNew starts the record's job and records it in job.json; it runs
// inside the start step after the record was found to have no job.json and
// admission let it through. It is safe to repeat: the client request token
// makes StartAsyncInvoke idempotent, and job.json is created only if
// absent.
func (w *workflow) startNew(sc durable.StepContext, messageID string, job jobspec.Job) (startedJob, error) {
	store := w.deps.Store
	now := w.deps.Now().UTC()
	token := bedrockjob.ClientRequestToken(messageID)
	output := jobstore.OutputURI(store.Bucket(), messageID)
	// SQS keeps a message at most 14 days: an earlier job for it cannot be
	// older.
	started, err := w.deps.Bedrock.Start(sc, bedrockjob.StartRequest{
		Token: token, ModelID: job.Model, ModelInput: job.ModelInput, OutputURI: output,
	}, now.Add(-15*24*time.Hour))
	if err != nil {
		return startedJob{}, err
	}
	stored, err := store.CreateJob(sc, jobstore.JobRecord{
		MessageID: messageID, InvocationArn: started.InvocationArn, Model: job.Model,
		ClientRequestToken: token, OutputURI: output, SubmittedAt: now,
	})
	if err != nil {
		return startedJob{}, err
	}
	return startedJob{
		InvocationArn: stored.InvocationArn, Model: stored.Model, OutputURI: stored.OutputURI,
		SubmittedAt: stored.SubmittedAt, AttachedAt: w.deps.Now().UTC(),
		Reattached: stored.InvocationArn != started.InvocationArn, RecoveredByToken: started.RecoveredByToken,
	}, nil
}

// finish writes result.json and publishes the completion event in one
// step (a replay repeats neither), records the outcome's metrics, and
// returns the record's outcome.
func (w *workflow) finish(ctx durable.Context, log *slog.Logger, out Outcome, result jobstore.Result) (Outcome, error) {
	written, err := durable.Step(ctx, "write result", func(sc durable.StepContext) (jobstore.Result, error) {
		if result.CompletedAt == "" {
			result.CompletedAt = jobstore.Timestamp(w.deps.Now())
		}
		if err := w.deps.Store.WriteResult(sc, result); err != nil {
			return result, err
		}
		return result, w.publish(sc, result)
	})
	if err != nil {
		if !durable.IsSuspended(err) {
			log.Error("could not write result.json", "error", err.Error())
		}
		return out, err
	}
	out.Status = written.Status
	out.VideoURI = written.VideoURI
	out.Checks = written.Checks
	if written.Error != nil {
		out.ErrorType, out.Error = written.Error.Type, written.Error.Message
	}
	w.recordOutcome(ctx, log, out, written)
	return out, nil
}

// retryable is the start step's retry predicate: Bedrock errors by their
// class, everything else (S3 errors and the like) retried.
func retryable(err error) bool {
	var bErr *bedrockjob.Error
	if errors.As(err, &bErr) {
		return bErr.Retryable
	}
	var invalid *jobspec.InvalidJobError
	return !errors.As(err, &invalid)
}

// errorParts returns the type and message a failed operation recorded.
func errorParts(err error) (typ, msg string) {
	var opErr *durable.OperationError
	if errors.As(err, &opErr) {
		return opErr.Type, opErr.Message
	}
	var bErr *bedrockjob.Error
	if errors.As(err, &bErr) {
		return bErr.Code, bErr.Message
	}
	return "Error", err.Error()
}

// pollBudget converts a started job and the execution deadline into the
// schedule's terms: the job's age when polling begins and the age by which
// the last check must happen.
func pollBudget(started startedJob, deadline time.Time) (age0, deadlineAge time.Duration) {
	age0 = max(started.AttachedAt.Sub(started.SubmittedAt), 0)
	return age0, age0 + max(deadline.Sub(started.AttachedAt), 0)
}

// schedule is the poll schedule of a started job.
func schedule(started startedJob, videoSeconds int, deadline time.Time) (pollschedule.Schedule, time.Duration) {
	age0, deadlineAge := pollBudget(started, deadline)
	return pollschedule.New(started.Model, videoSeconds, deadlineAge), age0
}

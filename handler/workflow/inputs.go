package workflow

import (
	"errors"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// checkInputs makes sure, in a step, that every image the job references by
// S3 URI exists, is readable by the function and is within the model's
// size cap, so a bad reference fails before any Bedrock call. A job that
// already started (job.json exists) is not checked again: the image may be
// gone by now without harm.
func (w *workflow) checkInputs(ctx durable.Context, messageID string, job jobspec.Job) error {
	if len(job.InputImages) == 0 {
		return nil
	}
	_, err := durable.Step(ctx, "check input images", func(sc durable.StepContext) (int, error) {
		store := w.deps.Store
		if _, started, err := store.LoadJob(sc, messageID); err != nil || started {
			return 0, err
		}
		for _, uri := range job.InputImages {
			key := strings.TrimPrefix(uri, "s3://"+store.Bucket()+"/")
			if err := store.CheckInput(sc, key, job.MaxInputImageBytes); err != nil {
				return 0, err
			}
		}
		return len(job.InputImages), nil
	}, durable.WithRetry(inputCheckRetry))
	return err
}

// inputCheckRetry retries a failed S3 call but not an answer that would
// not change: a missing, unreadable or oversized input image.
var inputCheckRetry = s3StepRetry(func(err error) bool {
	var input *jobstore.InputError
	return errors.As(err, &input)
})

// s3StepRetry is the retry of a step that reads S3: a failed call is tried
// again after 2 s, 4 s and 8 s (full jitter, 4 attempts in all), unless
// final says the error is an answer that would not change.
func s3StepRetry(final func(error) bool) durable.RetryStrategy {
	return durable.RetryPolicy{
		MaxAttempts:  4,
		InitialDelay: 2 * time.Second,
		MaxDelay:     10 * time.Second,
		BackoffRate:  2,
		Jitter:       durable.JitterFull,
		Retryable:    func(err error) bool { return !final(err) },
	}.Strategy()
}

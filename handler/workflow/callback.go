package workflow

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// registration is the checkpointed result of a wait round's register
// step.
type registration struct {
	// VideoKey is set when the job's video was already in the bucket once
	// callback.json named the round's callback: its notification may have
	// gone to an older callback (or none), so the round does not wait.
	VideoKey string `json:"videoKey,omitempty"`
	// At is when the registration ran.
	At time.Time `json:"at"`
}

// awaitVideo waits until the job finishes or the budget is spent, with
// event-driven completion: each round creates a durable callback, records
// it in callback.json for the notifier (which completes it with the video's
// key when S3 reports the video), and waits on it, suspended and unbilled,
// until the next fallback check the schedule plans
// (pollschedule.Schedule.NextFallbackCheck). A notified video is trusted
// without asking Bedrock: S3 reports it only after the write succeeded,
// the key must lie in this message's prefix, and only this message's one
// job writes there. A round that times out ends with one GetAsyncInvoke,
// the safety net that finds failed jobs (which write no video), lost
// events and stale callbacks; a job still running gets a fresh callback
// and waits for the next check. When no planned check fits in the budget,
// the last round waits until the deadline and the record is redelivered;
// the next execution's first registration finds a video that landed
// meanwhile.
func (w *workflow) awaitVideo(ctx durable.Context, messageID string, started startedJob, videoSeconds int, deadline time.Time) (pollState, error) {
	sched, age0 := schedule(started, videoSeconds, deadline)
	s := pollState{Age: age0}
	for round := 1; ; round++ {
		next := sched.NextFallbackCheck(s.Age)
		check := next <= sched.Deadline
		timeout := (next - s.Age + time.Second - 1).Truncate(time.Second)
		if !check {
			timeout = (sched.Deadline - s.Age).Truncate(time.Second)
		}
		if timeout < time.Second {
			s.Exhausted = true
			return s, nil
		}
		landed, err := w.awaitRound(ctx, messageID, started, round, timeout)
		if err != nil {
			return s, err
		}
		if landed.Key != "" {
			s.Status, s.VideoKey = bedrockjob.StatusCompleted, landed.Key
			s.DetectedAt, s.EndTime = landed.detectedAt, landed.LandedAt
			if s.EndTime.IsZero() || s.EndTime.After(s.DetectedAt) {
				s.EndTime = s.DetectedAt
			}
			return s, nil
		}
		s.Age += timeout
		if !check {
			s.Exhausted = true
			return s, nil
		}
		s, err = durable.Step(ctx, fmt.Sprintf("check job %d", round), func(sc durable.StepContext) (pollState, error) {
			// The clock is read in the step, so replay sees the same age.
			s.Age = max(w.deps.Now().Sub(started.SubmittedAt), s.Age)
			return w.readStatus(sc, messageID, started.InvocationArn, s)
		}, durable.WithRetry(durable.NoRetry))
		if err != nil || s.done() {
			return s, err
		}
	}
}

// landedVideo is a round's video: the notification's (or the listing's)
// key, and when the workflow learned of it.
type landedVideo struct {
	jobstore.VideoLanded
	detectedAt time.Time
}

// awaitRound is one wait round: create the callback, register it, and wait
// for it until timeout. It returns the video from the notification (or
// from the bucket, when the video was there before the callback was
// registered), or no key when the round timed out.
func (w *workflow) awaitRound(ctx durable.Context, messageID string, started startedJob, round int, timeout time.Duration) (landedVideo, error) {
	cb, err := durable.CreateCallback[jobstore.VideoLanded](ctx, fmt.Sprintf("video landed %d", round), durable.WithCallbackTimeout(timeout))
	if err != nil {
		return landedVideo{}, err
	}
	reg, err := durable.Step(ctx, fmt.Sprintf("register callback %d", round), func(sc durable.StepContext) (registration, error) {
		return w.register(sc, messageID, started, cb.ID)
	}, durable.WithRetry(registerRetry))
	if err != nil {
		return landedVideo{}, err
	}
	if reg.VideoKey != "" {
		ctx.Logger().Info("video found at registration", "messageId", messageID, "round", round, "key", reg.VideoKey)
		return landedVideo{VideoLanded: jobstore.VideoLanded{Bucket: w.deps.Store.Bucket(), Key: reg.VideoKey}, detectedAt: reg.At}, nil
	}
	landed, err := cb.Result(ctx)
	var cbErr *durable.CallbackError
	switch {
	case errors.As(err, &cbErr):
		// Timed out (or failed by someone else): the fallback check
		// decides.
		ctx.Logger().Info("no video notification", "messageId", messageID, "round", round, "timeout", timeout.String(), "reason", cbErr.Type)
		return landedVideo{}, nil
	case err != nil:
		return landedVideo{}, err
	}
	if msg := w.checkLanded(messageID, landed); msg != "" {
		ctx.Logger().Warn("ignoring a video notification", "messageId", messageID, "round", round, "reason", msg)
		return landedVideo{}, nil
	}
	// When the notification arrived, read once and checkpointed.
	at, err := durable.Step(ctx, fmt.Sprintf("note video %d", round), func(durable.StepContext) (time.Time, error) {
		return w.deps.Now().UTC(), nil
	}, durable.WithRetry(durable.NoRetry))
	if err != nil {
		return landedVideo{}, err
	}
	return landedVideo{VideoLanded: landed, detectedAt: at}, nil
}

// register writes callback.json naming the round's callback, then lists the
// job's output prefix. S3 is strongly consistent: a video that lands after
// the write triggers a notification that reads this callback.json, and one
// that landed before is found by the listing, so no video is missed
// between rounds or across redeliveries.
func (w *workflow) register(sc durable.StepContext, messageID string, started startedJob, callbackID string) (registration, error) {
	store := w.deps.Store
	if err := store.PutCallback(sc, jobstore.CallbackRecord{
		CallbackID: callbackID, MessageID: messageID, InvocationArn: started.InvocationArn, CreatedAt: w.deps.Now().UTC(),
	}); err != nil {
		return registration{}, err
	}
	key, found, err := store.FindVideo(sc, messageID, bedrockjob.InvocationID(started.InvocationArn))
	if err != nil {
		return registration{}, err
	}
	reg := registration{At: w.deps.Now().UTC()}
	if found {
		reg.VideoKey = key
	}
	return reg, nil
}

// registerRetry retries S3 faults of the register step (2 s doubling to
// 10 s, full jitter, 4 attempts).
var registerRetry = durable.RetryPolicy{
	MaxAttempts:  4,
	InitialDelay: 2 * time.Second,
	MaxDelay:     10 * time.Second,
	BackoffRate:  2,
	Jitter:       durable.JitterFull,
}.Strategy()

// checkLanded reports what makes a notification unusable ("" when it is
// fine): the video must be an .mp4 in the message's prefix of our bucket.
func (w *workflow) checkLanded(messageID string, v jobstore.VideoLanded) string {
	prefix := jobstore.MessagePrefix(messageID)
	switch {
	case v.Bucket != w.deps.Store.Bucket():
		return fmt.Sprintf("bucket %q is not the output bucket %q", v.Bucket, w.deps.Store.Bucket())
	case !strings.HasPrefix(v.Key, prefix) || !strings.HasSuffix(strings.ToLower(v.Key), ".mp4"):
		return fmt.Sprintf("key %q is not an .mp4 under %s", v.Key, prefix)
	}
	return ""
}

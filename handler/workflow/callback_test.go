package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/durable/wire"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// callbackEnv is env with event-driven completion on, and a notifier
// stand-in that completes the callback named in callback.json when the S3
// fake reports a video, as the notifier function does.
type callbackEnv struct {
	*env
	runner *durabletest.Runner[events.SQSEvent, events.SQSEventResponse]
	// completed counts callbacks the notifier completed; refused counts
	// the ones Lambda answered as closed or unknown.
	completed, refused int
	// lose drops every notification, as a lost event would.
	lose bool
}

func newCallbackEnv(t *testing.T, opts ...durabletest.Option) *callbackEnv {
	t.Helper()
	e := &callbackEnv{env: newEnv(t)}
	e.deps.Config.CompletionCallbacks = true
	e.runner = e.env.runner(opts...)
	e.s3.NotifyObjectCreated(bucket, jobstore.Prefix, ".mp4", e.notify)
	return e
}

// notify plays the notifier for one S3 event.
func (e *callbackEnv) notify(ctx context.Context, body []byte) error {
	if e.lose {
		return nil
	}
	var ev events.S3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return err
	}
	for _, r := range ev.Records {
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return err
		}
		id, ok := jobstore.MessageIDOfKey(key)
		if !ok {
			continue
		}
		cb, found, err := e.deps.Store.GetCallback(ctx, id)
		if err != nil || !found {
			return err
		}
		result, _ := json.Marshal(jobstore.VideoLanded{Bucket: r.S3.Bucket.Name, Key: key, LandedAt: r.EventTime})
		err = e.runner.Service().SendCallbackSuccess(cb.CallbackID, string(result))
		var apiErr *wire.APIError
		switch {
		case errors.As(err, &apiErr) && (apiErr.Code == "CallbackTimeoutException" || apiErr.Code == "ResourceNotFoundException"):
			e.refused++
		case err != nil:
			return err
		default:
			e.completed++
		}
	}
	return nil
}

func (e *callbackEnv) run(records ...events.SQSMessage) *durabletest.Result[events.SQSEventResponse] {
	e.t.Helper()
	res, err := e.runner.Run(context.Background(), events.SQSEvent{Records: records})
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	if res.Status != durabletest.StatusSucceeded {
		e.t.Fatalf("execution %s (error %+v)\n%s\nlogs:\n%s", res.Status, res.Error, res.Tree(), res.Logs)
	}
	if errs := e.s3.NotificationErrors(); len(errs) > 0 {
		e.t.Errorf("notifier errors: %v", errs)
	}
	return res
}

func callbackIDs(res *durabletest.Result[events.SQSEventResponse]) []string {
	var ids []string
	for _, op := range res.OperationsByType(wire.TypeCallback) {
		ids = append(ids, op.CallbackDetails.CallbackId)
	}
	return ids
}

func TestEventDrivenSuccessTakesNoCheck(t *testing.T) {
	var e *callbackEnv
	e = newCallbackEnv(t, durabletest.WithOnBlocked(func(ctx context.Context, s *durabletest.Service, arn string) error {
		return e.finish(ctx, s, arn)
	}))
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1}) // only the test finishes jobs
	res := e.run(record("m-1", `{"prompt":"a lighthouse"}`))

	if got := failures(res); len(got) != 0 {
		t.Fatalf("failures %v", got)
	}
	job := e.jobsFor("m-1")[0]
	r := e.result("m-1")
	if r.Status != jobstore.StatusSucceeded || r.VideoURI != "s3://video-output/videos/m-1/"+job.ID+"/output.mp4" || r.Checks != 0 || r.CompletedAt == "" {
		t.Errorf("result %+v, want SUCCEEDED with the notified video and no status check", r)
	}
	if e.completed != 1 {
		t.Errorf("notifier completed %d callbacks, want 1", e.completed)
	}
	// One callback, named in callback.json, whose timeout is the first
	// fallback check (113 s for a 6-second Nova Reel video); no polling
	// and no listing of the output prefix after the notification.
	ids := callbackIDs(res)
	cb, found, err := e.deps.Store.GetCallback(context.Background(), "m-1")
	if err != nil || !found || len(ids) != 1 || cb.CallbackID != ids[0] || cb.InvocationArn != job.InvocationArn || cb.MessageID != "m-1" {
		t.Errorf("callback.json %+v (found %v, %v), callbacks %v", cb, found, err, ids)
	}
	if _, ok := res.Operation("poll job"); ok {
		t.Error("event-driven mode polled")
	}
	if _, ok := res.Operation("find video"); ok {
		t.Error("the notified key was looked up again")
	}
	if got := callbackTimeouts(res); !slices.Equal(got, []time.Duration{113 * time.Second}) {
		t.Errorf("callback timeouts %v, want [113s]", got)
	}
	if n := len(res.Events(durabletest.EventCallbackTimedOut)); n != 0 {
		t.Errorf("%d callbacks timed out", n)
	}
	if job.Gets != 0 {
		t.Errorf("%d GetAsyncInvoke calls, want none", job.Gets)
	}
}

// finish completes the running jobs once, when the execution first waits
// on a callback.
func (e *callbackEnv) finish(context.Context, *durabletest.Service, string) error {
	for _, j := range e.bedrock.Jobs() {
		if j.Status == awsfake.StatusInProgress {
			e.bedrock.Complete(j.InvocationArn)
		}
	}
	e.s3.WaitNotifications()
	return nil
}

// callbackTimeouts reads each callback's timeout from the execution
// history.
func callbackTimeouts(res *durabletest.Result[events.SQSEventResponse]) []time.Duration {
	var out []time.Duration
	for _, ev := range res.Events(durabletest.EventCallbackStarted) {
		if d := ev.CallbackStartedDetails; d != nil {
			out = append(out, time.Duration(d.Timeout)*time.Second)
		}
	}
	return out
}

func TestLostEventIsFoundByTheFallback(t *testing.T) {
	e := newCallbackEnv(t)
	e.lose = true
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1}) // the second check sees it done
	res := e.run(record("m-1", `{"prompt":"a lighthouse"}`))

	job := e.jobsFor("m-1")[0]
	r := e.result("m-1")
	if r.Status != jobstore.StatusSucceeded || r.VideoURI != "s3://video-output/videos/m-1/"+job.ID+"/output.mp4" || r.Checks != 2 {
		t.Errorf("result %+v, want SUCCEEDED found by the second fallback check", r)
	}
	// Each round registered a fresh callback; callback.json names the
	// last one. The rounds' timeouts follow the fallback schedule.
	ids := callbackIDs(res)
	cb, _, _ := e.deps.Store.GetCallback(context.Background(), "m-1")
	if len(ids) != 2 || ids[0] == ids[1] || cb.CallbackID != ids[1] {
		t.Errorf("callbacks %v, callback.json names %q", ids, cb.CallbackID)
	}
	// The second round ends when the job's age doubled (113 s or 114 s:
	// the schedule rounds the milliseconds the start took up).
	if got := callbackTimeouts(res); len(got) != 2 || got[0] != 113*time.Second || got[1] < 113*time.Second || got[1] > 114*time.Second {
		t.Errorf("callback timeouts %v, want [113s ~113s]", got)
	}
	if n := len(res.Events(durabletest.EventCallbackTimedOut)); n != 2 {
		t.Errorf("%d callbacks timed out, want both rounds'", n)
	}
	if e.s3.Puts(bucket, jobstore.CallbackKey("m-1")) != 2 {
		t.Errorf("callback.json written %d times, want once a round", e.s3.Puts(bucket, jobstore.CallbackKey("m-1")))
	}
}

func TestFailedJobIsFoundByTheFallback(t *testing.T) {
	e := newCallbackEnv(t)
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1, Fail: true, FailureMessage: "blocked by content filters"})
	res := e.run(record("m-1", `{"prompt":"a lighthouse"}`))
	if got := failures(res); len(got) != 0 {
		t.Errorf("a failed job is an outcome, not a redelivery: %v", got)
	}
	r := e.result("m-1")
	if r.Status != jobstore.StatusFailed || r.Error == nil || r.Error.Message != "blocked by content filters" || r.Checks != 2 {
		t.Errorf("result %+v", r)
	}
	if e.completed != 0 || e.s3.Notifications() != 0 {
		t.Errorf("a failed job wrote no video, yet %d notifications", e.s3.Notifications())
	}
}

// TestNotifiedVideoIsTrusted: a notification completes the job even while
// Bedrock would still answer InProgress; a notification naming a key
// outside the message's prefix is ignored and the fallback decides.
func TestNotifiedVideoIsTrusted(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		checks    int
	}{
		{"in prefix", "videos/m-1/%s/output.mp4", 0},
		{"other message", "videos/m-2/%s/output.mp4", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e *callbackEnv
			e = newCallbackEnv(t, durabletest.WithOnBlocked(func(_ context.Context, s *durabletest.Service, arn string) error {
				open, err := s.OpenCallbacks(arn)
				if err != nil || len(open) != 1 || e.s3.Notifications() > 0 {
					return err
				}
				key := fmt.Sprintf(tt.key, e.bedrock.Jobs()[0].ID)
				e.s3.Put(bucket, key, []byte("video"), "video/mp4")
				result, _ := json.Marshal(jobstore.VideoLanded{Bucket: bucket, Key: key})
				return s.SendCallbackSuccess(open[0].CallbackDetails.CallbackId, string(result))
			}))
			e.lose = true
			e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 0})
			e.run(record("m-1", `{"prompt":"a lighthouse"}`))
			job := e.jobsFor("m-1")[0]
			r := e.result("m-1")
			if r.Status != jobstore.StatusSucceeded || r.Checks != tt.checks || job.Gets != tt.checks {
				t.Errorf("result %+v after %d GetAsyncInvoke calls, want SUCCEEDED after %d", r, job.Gets, tt.checks)
			}
			if want := "s3://video-output/videos/m-1/"; !strings.HasPrefix(r.VideoURI, want) {
				t.Errorf("video %s, want one under %s", r.VideoURI, want)
			}
		})
	}
}

// TestRedeliveryFindsAVideoThatLandedUnwatched: the first execution's
// budget ends while the job runs; the video lands between executions (its
// notification finds only a closed callback). The next execution's
// registration lists the prefix and needs no notification.
func TestRedeliveryFindsAVideoThatLandedUnwatched(t *testing.T) {
	e := newCallbackEnv(t, durabletest.WithExecutionTimeout(60*time.Second))
	e.deps.Config.ExecutionTimeout = 60 * time.Second
	e.runner = e.env.runner(durabletest.WithExecutionTimeout(60 * time.Second))
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	msg := record("m-1", `{"prompt":"a lighthouse"}`)
	res := e.run(msg)
	if got := failures(res); !slices.Equal(got, []string{"m-1"}) {
		t.Fatalf("failures %v, want m-1 redelivered", got)
	}
	e.noResult("m-1")

	job := e.jobsFor("m-1")[0]
	e.bedrock.Complete(job.InvocationArn)
	e.s3.WaitNotifications()
	if e.refused != 1 || e.completed != 0 {
		t.Errorf("notifier completed %d and was refused %d times; the only callback was closed", e.completed, e.refused)
	}
	res = e.run(msg)
	if got := failures(res); len(got) != 0 {
		t.Fatalf("redelivery failures %v", got)
	}
	if r := e.result("m-1"); r.Status != jobstore.StatusSucceeded || r.Checks != 0 {
		t.Errorf("result %+v", r)
	}
	// Found at registration: the round did not wait for its timeout.
	if n := len(res.Events(durabletest.EventCallbackTimedOut)); n != 0 {
		t.Errorf("%d callbacks timed out; the video was in the bucket at registration", n)
	}
	if e.bedrock.TotalStartCalls() != 1 {
		t.Errorf("%d start calls", e.bedrock.TotalStartCalls())
	}
}

func TestPollingModeWritesNoCallback(t *testing.T) {
	e := newEnv(t)
	res := e.run([]events.SQSMessage{record("m-1", `{"prompt":"x"}`)})
	if r := e.result("m-1"); r.Status != jobstore.StatusSucceeded {
		t.Fatalf("result %+v", r)
	}
	if ids := callbackIDs(res); len(ids) != 0 {
		t.Errorf("callbacks %v with event-driven completion off", ids)
	}
	if _, ok := e.s3.Get(bucket, jobstore.CallbackKey("m-1")); ok {
		t.Error("callback.json written with event-driven completion off")
	}
	if _, ok := res.Operation("poll job"); !ok {
		t.Error("no polling with event-driven completion off")
	}
}

// TestEventDrivenBudgetHolds runs several records with jobs that never
// finish: each ends RETRY_LATER before the execution timeout, as with
// polling.
func TestEventDrivenBudgetHolds(t *testing.T) {
	for _, timeout := range []time.Duration{60 * time.Second, 900 * time.Second} {
		e := newCallbackEnv(t)
		e.deps.Config.ExecutionTimeout = timeout
		e.runner = e.env.runner()
		e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
		res := e.run(record("a", `{"prompt":"x"}`), record("b", `{"prompt":"y","durationSeconds":60}`))
		if got := failures(res); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("timeout %v: failures %v", timeout, got)
		}
	}
}

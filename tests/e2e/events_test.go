package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

// eventPipeline is the default, event-driven deployment: the durable
// function's binary run by a durabletest process runner, and the notifier's
// binary run by durabletest.StartPlainFunction, invoked by the S3 fake's event
// notifications for videos/*.mp4 and completing callbacks over HTTP
// through the same durabletest service.
type eventPipeline struct {
	*fakes
	runner   *durabletest.Runner[events.SQSEvent, events.SQSEventResponse]
	notifier *durabletest.PlainFunction
}

// newEventPipeline deploys the pipeline with the function's environment
// overridden by settings.
func newEventPipeline(t *testing.T, settings []string, opts ...durabletest.Option) *eventPipeline {
	t.Helper()
	f := newFakesWith(t, true)
	f.env = append(f.env, settings...)
	opts = append([]durabletest.Option{
		durabletest.WithEnv(f.env...),
		durabletest.WithExecutionTimeout(900 * time.Second),
	}, opts...)
	p := &eventPipeline{fakes: f, runner: durabletest.NewProcessRunner[events.SQSEvent, events.SQSEventResponse](binary, opts...)}

	// The Lambda API the notifier calls: the durable function's service.
	api, err := durabletest.NewServer(p.runner.Service())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	qualified := p.runner.Service().FunctionArn()
	functionARN := qualified[:strings.LastIndex(qualified, ":")]

	// The notifier runs in the bucket's region (the Bedrock region of the
	// default deployment).
	const region = "us-west-2"
	env := []string{"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_ENDPOINT_URL_S3=" + f.s3.URL(), "AWS_ENDPOINT_URL_LAMBDA=" + api.URL()}
	cfg := config.NotifierConfig{OutputBucket: bucket, DurableFunctionARN: functionARN}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for k, v := range cfg.Environ() {
		env = append(env, k+"="+v)
	}
	p.notifier, err = durabletest.StartPlainFunction(t, notifierBinary, "arn:aws:lambda:"+region+":123456789012:function:video-notifier", env)
	if err != nil {
		t.Fatal(err)
	}

	f.s3.SetRegion(region)
	f.s3.NotifyObjectCreated(bucket, config.OutputPrefix, config.VideoSuffix, func(ctx context.Context, event []byte) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := p.notifier.Invoke(ctx, event)
		return err
	})
	return p
}

func (p *eventPipeline) run(t *testing.T, records ...events.SQSMessage) *durabletest.Result[events.SQSEventResponse] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := p.runner.Run(ctx, events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != durabletest.StatusSucceeded {
		t.Fatalf("execution %s %+v\n%s\n%s\nnotifier:\n%s", res.Status, res.Error, res.Tree(), res.Logs, p.notifier.Logs())
	}
	if errs := p.s3.NotificationErrors(); len(errs) > 0 {
		t.Errorf("notifier invocations failed: %v\n%s", errs, p.notifier.Logs())
	}
	return res
}

// TestVideoLandingCompletesTheWorkflow is the event-driven pipeline end to
// end: when Bedrock writes a job's video into the bucket, S3's event
// reaches the real notifier, which completes the real function's callback;
// the function writes result.json without asking Bedrock. A job that fails
// writes no video and is found by the first fallback check.
func TestVideoLandingCompletesTheWorkflow(t *testing.T) {
	var p *eventPipeline
	// Bedrock finishes the jobs while the function waits: each running
	// job that is not meant to fail completes and writes its video.
	p = newEventPipeline(t, nil, durabletest.WithOnBlocked(func(context.Context, *durabletest.Service, string) error {
		for _, j := range p.bedrock.Jobs() {
			if j.Status == awsfake.StatusInProgress && !strings.Contains(string(j.ModelInput), "blocked") {
				p.bedrock.Complete(j.InvocationArn)
			}
		}
		p.s3.WaitNotifications()
		return nil
	}))
	p.bedrock.SetLifecycleFunc(func(_ string, input json.RawMessage) awsfake.Lifecycle {
		if strings.Contains(string(input), "blocked") {
			return awsfake.Lifecycle{InProgressChecks: 0, Fail: true, FailureMessage: "The generated video was blocked by our content filters."}
		}
		return awsfake.Lifecycle{InProgressChecks: -1} // only the landing ends it
	})
	res := p.run(t,
		msg("surf", `{"prompt":"surf at dawn"}`),
		msg("lamp", `{"prompt":"the lamp flickers on","durationSeconds":9}`),
		msg("blocked", `{"prompt":"something blocked"}`),
	)
	if got := failed(res); len(got) != 0 {
		t.Fatalf("records reported for redelivery: %v\n%s", got, res.Logs)
	}

	for _, id := range []string{"surf", "lamp"} {
		var job awsfake.Job
		for _, j := range p.bedrock.Jobs() {
			if strings.Contains(string(j.ModelInput), map[string]string{"surf": "surf at dawn", "lamp": "lamp flickers"}[id]) {
				job = j
			}
		}
		r := p.result(t, id)
		wantVideo := "s3://" + bucket + "/videos/" + id + "/" + awsfake.OutputKey(job.ModelID, job.ID)
		if r.Status != jobstore.StatusSucceeded || r.VideoURI != wantVideo || r.Checks != 0 || r.CompletedAt == "" {
			t.Errorf("%s: result %+v, want SUCCEEDED with %s and no status check", id, r, wantVideo)
		}
		if job.Gets != 0 {
			t.Errorf("%s: %d GetAsyncInvoke calls; the notification alone must complete it", id, job.Gets)
		}
		if _, ok := p.s3.Get(bucket, jobstore.CallbackKey(id)); !ok {
			t.Errorf("%s: no callback.json", id)
		}
	}
	r := p.result(t, "blocked")
	if r.Status != jobstore.StatusFailed || r.Error == nil || r.Error.Type != "JobFailed" || r.Checks != 1 {
		t.Errorf("blocked: result %+v, want FAILED (JobFailed) found by one fallback check", r)
	}

	if n := p.s3.Notifications(); n != 2 {
		t.Errorf("%d S3 notifications, want one per video", n)
	}
	if got := strings.Count(p.notifier.Logs(), "callback completed with the video"); got != 2 {
		t.Errorf("the notifier completed %d callbacks, want 2:\n%s", got, p.notifier.Logs())
	}
	// The two videos were noticed without waiting for any timeout; only
	// the failed job's round timed out.
	if n := len(res.Events(durabletest.EventCallbackTimedOut)); n != 1 {
		t.Errorf("%d callbacks timed out, want 1 (the failed job's)", n)
	}
}

// TestNotifierIgnoresAClosedCallback: a video that lands after the
// execution gave up (budget spent) finds only a closed callback; the
// notifier reports success to S3 (no retry), and the redelivered execution
// finds the video when it registers.
func TestNotifierIgnoresAClosedCallback(t *testing.T) {
	p := newEventPipeline(t, []string{setting(config.EnvExecutionTimeout, "120")}, durabletest.WithExecutionTimeout(120*time.Second))
	p.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	m := msg("slow", `{"prompt":"a slow render"}`)
	res := p.run(t, m)
	if got := failed(res); len(got) != 1 {
		t.Fatalf("failures %v, want the record redelivered", got)
	}
	// The video lands while no execution waits.
	jobs := p.bedrock.Jobs()
	p.bedrock.Complete(jobs[0].InvocationArn)
	p.s3.WaitNotifications()
	if errs := p.s3.NotificationErrors(); len(errs) != 0 {
		t.Fatalf("the notifier failed the event for a closed callback: %v", errs)
	}
	if !strings.Contains(p.notifier.Logs(), "callback already completed or timed out") {
		t.Errorf("notifier logs:\n%s", p.notifier.Logs())
	}
	res = p.run(t, m)
	if got := failed(res); len(got) != 0 {
		t.Fatalf("redelivery failures %v", got)
	}
	if r := p.result(t, "slow"); r.Status != jobstore.StatusSucceeded || r.Checks != 0 {
		t.Errorf("result %+v", r)
	}
	if p.bedrock.TotalStartCalls() != 1 {
		t.Errorf("%d start calls", p.bedrock.TotalStartCalls())
	}
}

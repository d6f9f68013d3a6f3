package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/durable/wire"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/completion"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

const bucket = "video-output"

// Most tests here drive Amazon Nova Reel, so they play in us-east-1 at a
// date before its end of life; the Bedrock fake refuses it afterwards.
var (
	beforeNovaEndOfLife = time.Date(2026, time.September, 1, 12, 0, 0, 0, time.UTC)
	afterNovaEndOfLife  = time.Date(2026, time.October, 1, 12, 0, 0, 0, time.UTC)
)

// env is a workflow wired to fresh Bedrock and S3 fakes through the real
// SDK clients.
type env struct {
	t       *testing.T
	bedrock *awsfake.Bedrock
	s3      *awsfake.S3
	events  *awsfake.EventBridge
	deps    Deps
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b := awsfake.NewBedrock(t, jobspec.KnownModels()...)
	b.Region = "us-east-1"
	clock := awsfake.ClockFrom(beforeNovaEndOfLife)
	b.SetClock(clock)
	s := awsfake.NewS3(t, bucket)
	b.WriteOutputTo(s)
	eb := awsfake.NewEventBridge(t)
	cfg := config.Config{
		OutputBucket:     bucket,
		DefaultModel:     jobspec.NovaReelV11,
		AllowedModels:    []string{jobspec.NovaReelV10, jobspec.NovaReelV11},
		BedrockRegion:    "us-east-1",
		ExecutionTimeout: 900 * time.Second,
		MaxConcurrency:   4,
		EventBus:         "default",
		MetricsNamespace: "BedrockVideoPipeline",
		ConcurrentJobs:   10,
	}
	return &env{t: t, bedrock: b, s3: s, events: eb, deps: Deps{
		Config:  cfg,
		Bedrock: bedrockjob.NewFromConfig(awsfake.ClientConfig(b.URL())),
		Store:   jobstore.NewFromConfig(awsfake.ClientConfig(s.URL()), bucket),
		Events:  completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "default"),
		Metrics: MetricsEmitter(cfg, "video-handler"),
		Now:     clock,
	}}
}

func record(id, body string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", AWSRegion: "us-east-1"}
}

func (e *env) runner(opts ...durabletest.Option) *durabletest.Runner[events.SQSEvent, events.SQSEventResponse] {
	opts = append([]durabletest.Option{durabletest.WithExecutionTimeout(e.deps.Config.ExecutionTimeout)}, opts...)
	return durabletest.NewRunner(Handler(e.deps), opts...)
}

// run runs one execution over records and requires it to succeed.
func (e *env) run(records []events.SQSMessage, opts ...durabletest.Option) *durabletest.Result[events.SQSEventResponse] {
	e.t.Helper()
	res, err := e.runner(opts...).Run(context.Background(), events.SQSEvent{Records: records})
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	if res.Status != durabletest.StatusSucceeded {
		e.t.Fatalf("execution %s (error %+v)\n%s\nlogs:\n%s", res.Status, res.Error, res.Tree(), res.Logs)
	}
	return res
}

func failures(res *durabletest.Result[events.SQSEventResponse]) []string {
	var ids []string
	for _, f := range res.Value.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func (e *env) result(id string) jobstore.Result {
	e.t.Helper()
	r, found, err := e.deps.Store.LoadResult(context.Background(), id)
	if err != nil || !found {
		e.t.Fatalf("result.json of %s: found %v err %v", id, found, err)
	}
	return r
}

func (e *env) noResult(id string) {
	e.t.Helper()
	if _, ok := e.s3.Get(bucket, jobstore.ResultKey(id)); ok {
		e.t.Errorf("%s has a result.json", id)
	}
}

func (e *env) jobsFor(id string) []awsfake.Job {
	var out []awsfake.Job
	for _, j := range e.bedrock.Jobs() {
		if j.Token == bedrockjob.ClientRequestToken(id) {
			out = append(out, j)
		}
	}
	return out
}

func TestSuccess(t *testing.T) {
	e := newEnv(t)
	const prompt = "a secret lighthouse prompt nobody may log"
	res := e.run([]events.SQSMessage{record("m-1", `{"prompt":"`+prompt+`","seed":5}`)})

	if got := failures(res); len(got) != 0 {
		t.Errorf("batch item failures %v", got)
	}
	if string(mustJSON(t, res.Value)) != `{"batchItemFailures":[]}` {
		t.Errorf("response %s", mustJSON(t, res.Value))
	}
	jobs := e.jobsFor("m-1")
	if len(jobs) != 1 || e.bedrock.TotalStartCalls() != 1 {
		t.Fatalf("jobs %d, start calls %d", len(jobs), e.bedrock.TotalStartCalls())
	}
	job := jobs[0]
	if job.OutputS3URI != "s3://video-output/videos/m-1" || job.ModelID != jobspec.NovaReelV11 {
		t.Errorf("job %+v", job)
	}

	r := e.result("m-1")
	wantVideo := "s3://video-output/videos/m-1/" + job.ID + "/output.mp4"
	if r.Status != "SUCCEEDED" || r.MessageID != "m-1" || r.Model != jobspec.NovaReelV11 || r.InvocationArn != job.InvocationArn ||
		r.VideoURI != wantVideo || r.Error != nil || r.Checks != 3 || r.SubmittedAt == "" || r.CompletedAt == "" {
		t.Errorf("result %+v", r)
	}
	if _, ok := e.s3.Get(bucket, "videos/m-1/"+job.ID+"/output.mp4"); !ok {
		t.Error("the video the result points to does not exist")
	}
	rec, found, err := e.deps.Store.LoadJob(context.Background(), "m-1")
	if err != nil || !found || rec.InvocationArn != job.InvocationArn || rec.ClientRequestToken != job.Token {
		t.Errorf("job.json %+v %v %v", rec, found, err)
	}

	// The first check waits for the model's usual generation time, in one
	// zero-cost durable wait.
	wait, ok := res.Operation("await generation")
	if !ok || wait.Type != wire.TypeWait || wait.WaitDetails == nil {
		t.Fatalf("no wait before polling:\n%s", res.Tree())
	}
	if d := wait.WaitDetails.ScheduledEndTimestamp.Sub(wait.StartTimestamp.Time); d < 67*time.Second || d > 69*time.Second {
		t.Errorf("first wait %v, want 68s", d)
	}

	// Logs: JSON, with messageId, invocationArn, status and checks; never
	// the prompt.
	if strings.Contains(res.Logs, prompt) {
		t.Error("the prompt was logged")
	}
	var sawStatus bool
	for _, line := range strings.Split(strings.TrimSpace(res.Logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["msg"] == "video ready" {
			sawStatus = m["messageId"] == "m-1" && m["invocationArn"] == job.InvocationArn && m["status"] == "Completed" && m["checks"] == float64(3)
		}
	}
	if !sawStatus {
		t.Errorf("no 'video ready' line with messageId, invocationArn, status and checks:\n%s", res.Logs)
	}
}

func TestMixedBatch(t *testing.T) {
	e := newEnv(t)
	e.bedrock.SetLifecycleFunc(func(_ string, input json.RawMessage) awsfake.Lifecycle {
		if strings.Contains(string(input), "blocked") {
			return awsfake.Lifecycle{InProgressChecks: 1, Fail: true, FailureMessage: "The generated video was blocked by our content filters."}
		}
		return awsfake.Lifecycle{InProgressChecks: 2}
	})
	e.bedrock.RejectStarts(func(_ string, input json.RawMessage) (awsfake.Fault, bool) {
		if strings.Contains(string(input), "rejected") {
			return awsfake.BedrockFault("ValidationException", "The text prompt is not supported."), true
		}
		return awsfake.Fault{}, false
	})
	res := e.run([]events.SQSMessage{
		record("ok-nova", `{"prompt":"a fox"}`),
		record("bad-json", `{"prompt":`),
		record("blocked", `{"prompt":"something blocked"}`),
		record("ok-long", `{"prompt":"waves","durationSeconds":12}`),
		record("rejected", `{"prompt":"rejected text"}`),
		record("ok-multishot", `{"shots":[{"prompt":"one"},{"prompt":"two"}]}`),
	})
	// Every record has its outcome in result.json: none is redelivered
	// (a failed one would only fail again, a visibility timeout later).
	if got := failures(res); len(got) != 0 {
		t.Errorf("failures %v, want none", got)
	}
	for _, id := range []string{"ok-nova", "ok-long", "ok-multishot"} {
		if r := e.result(id); r.Status != "SUCCEEDED" || r.VideoURI == "" {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if r := e.result("bad-json"); r.Status != "FAILED" || r.Error.Type != "InvalidJob" || !strings.Contains(r.Error.Message, "body: is not valid JSON") || r.InvocationArn != "" {
		t.Errorf("bad-json: %+v", r)
	}
	if r := e.result("blocked"); r.Status != "FAILED" || r.Error.Type != "JobFailed" || !strings.Contains(r.Error.Message, "content filters") || r.InvocationArn == "" || r.VideoURI != "" {
		t.Errorf("blocked: %+v", r)
	}
	if r := e.result("rejected"); r.Status != "FAILED" || r.Error.Type != "ValidationException" || !strings.Contains(r.Error.Message, "The text prompt is not supported.") {
		t.Errorf("rejected: %+v", r)
	}
	if n := e.bedrock.StartCalls(bedrockjob.ClientRequestToken("rejected")); n != 1 {
		t.Errorf("terminal ValidationException retried: %d calls", n)
	}
	if long := e.jobsFor("ok-long"); len(long) != 1 || !strings.Contains(string(long[0].ModelInput), `"durationSeconds":12`) {
		t.Errorf("12-second job %+v", long)
	}
	if len(e.bedrock.Jobs()) != 4 {
		t.Errorf("%d jobs, want 4 (no job for invalid or rejected records)", len(e.bedrock.Jobs()))
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name      string
		faults    []awsfake.Fault
		eol       bool
		succeeds  bool
		redeliver bool // no outcome: nothing written, record reported
		starts    int
		errorType string
		message   string
	}{
		{name: "throttling is retried", faults: []awsfake.Fault{awsfake.BedrockFault("ThrottlingException", "slow down"), awsfake.BedrockFault("ThrottlingException", "slow down")}, succeeds: true, starts: 3},
		{name: "quota is retried", faults: []awsfake.Fault{awsfake.BedrockFault("ServiceQuotaExceededException", "too many jobs")}, succeeds: true, starts: 2},
		{name: "internal error is retried", faults: []awsfake.Fault{awsfake.BedrockFault("InternalServerException", "oops")}, succeeds: true, starts: 2},
		{name: "unavailable is retried", faults: []awsfake.Fault{awsfake.BedrockFault("ServiceUnavailableException", "later")}, succeeds: true, starts: 2},
		{name: "network error is retried", faults: []awsfake.Fault{awsfake.NetworkFault()}, succeeds: true, starts: 2},
		{name: "lost reply is retried without a second job", faults: []awsfake.Fault{{Network: true, AfterServing: true}}, succeeds: true, starts: 2},
		{name: "throttling is waited out beyond the fault retries", faults: slices.Repeat([]awsfake.Fault{awsfake.BedrockFault("ThrottlingException", "slow down")}, 8), succeeds: true, starts: 9},
		{name: "server errors until attempts run out", faults: slices.Repeat([]awsfake.Fault{awsfake.BedrockFault("InternalServerException", "oops")}, 6), starts: 6, redeliver: true},
		{name: "validation is terminal", faults: []awsfake.Fault{awsfake.BedrockFault("ValidationException", "bad seed")}, starts: 1, errorType: "ValidationException", message: "bad seed"},
		{name: "access denied is terminal", faults: []awsfake.Fault{awsfake.BedrockFault("AccessDeniedException", "You don't have access to the model")}, starts: 1, errorType: "AccessDeniedException", message: "You don't have access"},
		{name: "missing resource is terminal", faults: []awsfake.Fault{awsfake.BedrockFault("ResourceNotFoundException", "Model not found")}, starts: 1, errorType: "ResourceNotFoundException", message: "Model not found"},
		{name: "end of life names the setting", eol: true, starts: 1, errorType: "ModelEndOfLife", message: "set BEDROCK_MODEL_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bedrock.Inject(awsfake.OpStartAsyncInvoke, tt.faults...)
			if tt.eol {
				e.bedrock.SetClock(awsfake.ClockFrom(afterNovaEndOfLife))
			}
			res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
			if got := e.bedrock.StartCalls(bedrockjob.ClientRequestToken("m")); got != tt.starts {
				t.Errorf("%d StartAsyncInvoke calls, want %d", got, tt.starts)
			}
			if tt.redeliver {
				e.noResult("m")
				if !slices.Equal(failures(res), []string{"m"}) || len(e.bedrock.Jobs()) != 0 ||
					!strings.Contains(res.Logs, "Bedrock kept failing transiently; nothing was started and the record will be redelivered") {
					t.Errorf("failures %v, jobs %d, logs:\n%s", failures(res), len(e.bedrock.Jobs()), res.Logs)
				}
				return
			}
			r := e.result("m")
			if tt.succeeds {
				if len(failures(res)) != 0 || r.Status != "SUCCEEDED" || len(e.bedrock.Jobs()) != 1 {
					t.Errorf("failures %v, result %+v, jobs %d", failures(res), r, len(e.bedrock.Jobs()))
				}
				return
			}
			if len(failures(res)) != 0 || r.Status != "FAILED" || r.Error == nil ||
				r.Error.Type != tt.errorType || !strings.Contains(r.Error.Message, tt.message) {
				t.Errorf("failures %v, result %+v", failures(res), r)
			}
			if r.Error != nil && tt.eol && !strings.Contains(r.Error.Message, "amazon.nova-reel-v1:1 is past its end of life") {
				t.Errorf("end-of-life message %q", r.Error.Message)
			}
		})
	}
}

func TestPollErrors(t *testing.T) {
	t.Run("transient errors cost a check", func(t *testing.T) {
		e := newEnv(t)
		e.bedrock.Inject(awsfake.OpGetAsyncInvoke, awsfake.BedrockFault("ThrottlingException", "slow down"), awsfake.BedrockFault("ServiceUnavailableException", "later"))
		res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
		if r := e.result("m"); len(failures(res)) != 0 || r.Status != "SUCCEEDED" || r.Checks != 5 {
			t.Errorf("failures %v result %+v", failures(res), r)
		}
	})
	t.Run("a vanished job is terminal", func(t *testing.T) {
		e := newEnv(t)
		e.bedrock.Inject(awsfake.OpGetAsyncInvoke, awsfake.BedrockFault("ResourceNotFoundException", "Invocation not found"))
		res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
		r := e.result("m")
		if len(failures(res)) != 0 || r.Status != "FAILED" || r.Error.Type != "ResourceNotFoundException" || r.InvocationArn == "" {
			t.Errorf("failures %v result %+v", failures(res), r)
		}
	})
	t.Run("S3 errors writing job.json are retried", func(t *testing.T) {
		e := newEnv(t)
		// Three 500s exhaust the S3 client's own attempts; the durable
		// step then retries the whole start, which must not start a
		// second job.
		e.s3.Inject(awsfake.OpPutObject, slices.Repeat([]awsfake.Fault{{Code: "InternalError", Status: 500, Message: "We encountered an internal error."}}, 3)...)
		res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
		if r := e.result("m"); len(failures(res)) != 0 || r.Status != "SUCCEEDED" {
			t.Errorf("failures %v result %+v", failures(res), r)
		}
		if jobs := e.jobsFor("m"); len(jobs) != 1 || e.bedrock.StartCalls(bedrockjob.ClientRequestToken("m")) != 2 {
			t.Errorf("%d jobs, %d start calls", len(jobs), e.bedrock.StartCalls(bedrockjob.ClientRequestToken("m")))
		}
	})
}

func TestInvalidBodies(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"not JSON", `please make a video of a cat`, "body"},
		{"missing prompt", `{"durationSeconds":6}`, "prompt: is required"},
		{"oversized prompt", `{"prompt":"` + strings.Repeat("a", 513) + `"}`, "prompt: is 513 characters; the limit is 512"},
		{"wrong duration", `{"prompt":"x","durationSeconds":7}`, "durationSeconds: must be 6, or a multiple of 6"},
		{"unknown model", `{"prompt":"x","model":"openai.sora"}`, `model: unknown model "openai.sora"`},
	}
	e := newEnv(t)
	var records []events.SQSMessage
	for i, tt := range tests {
		records = append(records, record(fmt.Sprintf("invalid-%d", i), tt.body))
	}
	res := e.run(records)
	if len(failures(res)) != 0 {
		t.Errorf("failures %v", failures(res))
	}
	for i, tt := range tests {
		r := e.result(fmt.Sprintf("invalid-%d", i))
		if r.Status != "FAILED" || r.Error == nil || r.Error.Type != "InvalidJob" || !strings.Contains(r.Error.Message, tt.field) {
			t.Errorf("%s: result %+v", tt.name, r)
		}
	}
	if n := e.bedrock.TotalStartCalls(); n != 0 {
		t.Errorf("%d Bedrock calls for invalid jobs", n)
	}
}

func TestEmptyBatch(t *testing.T) {
	e := newEnv(t)
	res := e.run(nil)
	if len(res.Value.BatchItemFailures) != 0 || res.Value.BatchItemFailures == nil {
		t.Errorf("response %+v", res.Value)
	}
}

// TestCrashAnywhereStartsOneJob crashes the invocation after each
// checkpoint in turn, and separately answers each checkpoint with a server
// error. Whatever the point, the message ends with exactly one Bedrock job
// and a video.
func TestCrashAnywhereStartsOneJob(t *testing.T) {
	for n := 1; n <= 20; n++ { // a one-record run makes about 15 checkpoint calls
		for _, mode := range []string{"crash", "fault"} {
			e := newEnv(t)
			opt := durabletest.WithCrashAfterCheckpoint(n)
			if mode == "fault" {
				opt = durabletest.WithCheckpointFault(n, durabletest.FaultServerError)
			}
			res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)}, opt)
			if jobs := e.jobsFor("m"); len(jobs) != 1 || len(failures(res)) != 0 || e.result("m").Status != "SUCCEEDED" {
				t.Fatalf("%s after checkpoint %d: %d jobs, failures %v\n%s", mode, n, len(jobs), failures(res), res.Tree())
			}
		}
	}
}

// losingClient is the runner's Service with one checkpoint lost: the first
// checkpoint call carrying an update lose selects fails with a server
// error, so the invocation ends and the update is never recorded.
type losingClient struct {
	durable.ExecutionClient
	lose func(wire.OperationUpdate) bool
	mu   sync.Mutex
	lost bool
}

func (c *losingClient) Checkpoint(ctx context.Context, req wire.CheckpointRequest) (wire.CheckpointResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range req.Updates {
		if !c.lost && c.lose(u) {
			c.lost = true
			return wire.CheckpointResponse{}, &wire.APIError{Code: "ServiceException", Message: "checkpoint lost", StatusCode: 500}
		}
	}
	return c.ExecutionClient.Checkpoint(ctx, req)
}

// TestCrashBetweenStartAndItsCheckpoint loses the start step's SUCCEED
// checkpoint: StartAsyncInvoke has answered (and job.json may be written)
// but the execution never records it, so the next invocation runs the step
// body again. It must re-attach, not start a second job — with job.json,
// and through the client request token when job.json was not written
// either.
func TestCrashBetweenStartAndItsCheckpoint(t *testing.T) {
	for _, lostJobJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("job.json lost %v", lostJobJSON), func(t *testing.T) {
			e := newEnv(t)
			if lostJobJSON {
				e.s3.Inject(awsfake.OpPutObject, slices.Repeat([]awsfake.Fault{awsfake.NetworkFault()}, 3)...)
			}
			r := e.runner()
			client := &losingClient{ExecutionClient: r.Service(), lose: func(u wire.OperationUpdate) bool {
				return u.Name == "start job" && u.Action == wire.ActionSucceed
			}}
			r = e.runner(durabletest.WithHandlerOptions(durable.WithExecutionClient(client)))
			client.ExecutionClient = r.Service()
			res, err := r.Run(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record("m", `{"prompt":"x"}`)}})
			if err != nil || res.Status != durabletest.StatusSucceeded {
				t.Fatalf("run: %v %+v", err, res)
			}
			if !client.lost {
				t.Fatal("the start step's checkpoint was never sent")
			}
			if jobs := e.jobsFor("m"); len(jobs) != 1 || len(failures(res)) != 0 || e.result("m").Status != "SUCCEEDED" {
				t.Fatalf("%d jobs, failures %v", len(jobs), failures(res))
			}
			started := startResult(t, res)
			calls := e.bedrock.StartCalls(bedrockjob.ClientRequestToken("m"))
			if lostJobJSON && calls != 2 {
				t.Errorf("%d StartAsyncInvoke calls; the body should have run again and reused the token", calls)
			}
			if !lostJobJSON && (calls != 1 || !started.Reattached) {
				t.Errorf("%d StartAsyncInvoke calls, reattached %v; want one call and a re-attach through job.json", calls, started.Reattached)
			}
		})
	}
}

func startResult(t *testing.T, res *durabletest.Result[events.SQSEventResponse]) startedJob {
	t.Helper()
	op, ok := res.Operation("start job")
	if !ok || op.StepDetails == nil {
		t.Fatalf("no start step:\n%s", res.Tree())
	}
	var a startAttempt
	if err := json.Unmarshal([]byte(op.StepDetails.Result), &a); err != nil {
		t.Fatal(err)
	}
	if a.Started == nil {
		t.Fatalf("the first start round did not start: %+v", a)
	}
	return *a.Started
}

func TestSameMessageInTwoExecutions(t *testing.T) {
	t.Run("one after the other", func(t *testing.T) {
		e := newEnv(t)
		msg := record("m", `{"prompt":"x"}`)
		e.run([]events.SQSMessage{msg})
		res := e.run([]events.SQSMessage{msg})
		if len(e.bedrock.Jobs()) != 1 || e.bedrock.TotalStartCalls() != 1 {
			t.Errorf("%d jobs, %d start calls", len(e.bedrock.Jobs()), e.bedrock.TotalStartCalls())
		}
		if !startResult(t, res).Reattached || len(failures(res)) != 0 {
			t.Errorf("second execution did not re-attach")
		}
	})
	t.Run("at the same time", func(t *testing.T) {
		e := newEnv(t)
		msg := record("m", `{"prompt":"x"}`)
		var wg sync.WaitGroup
		results := make([]*durabletest.Result[events.SQSEventResponse], 2)
		for i := range results {
			wg.Go(func() {
				res, err := e.runner().Run(context.Background(), events.SQSEvent{Records: []events.SQSMessage{msg}})
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		for _, res := range results {
			if res == nil || res.Status != durabletest.StatusSucceeded || len(failures(res)) != 0 {
				t.Fatalf("execution %+v", res)
			}
		}
		if n := len(e.bedrock.Jobs()); n != 1 {
			t.Errorf("%d jobs for one message", n)
		}
		if n := e.s3.Puts(bucket, jobstore.JobKey("m")); n != 1 {
			t.Errorf("job.json written %d times", n)
		}
	})
}

func TestBudgetExhaustionAndReattach(t *testing.T) {
	e := newEnv(t)
	e.deps.Config.ExecutionTimeout = 300 * time.Second
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1}) // a job that outlasts the execution
	msg := record("long", `{"prompt":"a two minute documentary","durationSeconds":120}`)

	res := e.run([]events.SQSMessage{msg}) // fails the test if the execution timed out
	if !slices.Equal(failures(res), []string{"long"}) {
		t.Fatalf("failures %v, want the record reported for redelivery", failures(res))
	}
	e.noResult("long")
	jobs := e.jobsFor("long")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	poll, _ := res.Operation("poll job")
	var state pollState
	if err := json.Unmarshal([]byte(poll.StepDetails.Result), &state); err != nil {
		t.Fatal(err)
	}
	if !state.Exhausted || state.Checks < 1 || state.Age > 300*time.Second {
		t.Errorf("final poll state %+v", state)
	}

	// SQS redelivers the message; meanwhile the job finished. The new
	// execution re-attaches through job.json and starts nothing.
	e.bedrock.Complete(jobs[0].InvocationArn)
	res = e.run([]events.SQSMessage{msg})
	if len(failures(res)) != 0 {
		t.Fatalf("redelivery failures %v", failures(res))
	}
	if e.bedrock.TotalStartCalls() != 1 || len(e.bedrock.Jobs()) != 1 {
		t.Errorf("%d start calls, %d jobs", e.bedrock.TotalStartCalls(), len(e.bedrock.Jobs()))
	}
	if !startResult(t, res).Reattached {
		t.Error("redelivery did not re-attach")
	}
	if r := e.result("long"); r.Status != "SUCCEEDED" || r.InvocationArn != jobs[0].InvocationArn {
		t.Errorf("result %+v", r)
	}
}

// TestBudgetHoldsUnderTheExecutionTimeout runs the never-ending job with
// several timeouts: the execution must always end by itself, reporting the
// record, before the durable execution timeout.
func TestBudgetHoldsUnderTheExecutionTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{60 * time.Second, 120 * time.Second, 900 * time.Second} {
		e := newEnv(t)
		e.deps.Config.ExecutionTimeout = timeout
		e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
		res := e.run([]events.SQSMessage{record("a", `{"prompt":"x"}`), record("b", `{"prompt":"y","durationSeconds":60}`)})
		if got := failures(res); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("timeout %v: failures %v", timeout, got)
		}
	}
}

func TestRetryablePredicate(t *testing.T) {
	if retryable(&bedrockjob.Error{Code: "ValidationException"}) || !retryable(&bedrockjob.Error{Code: "ThrottlingException", Retryable: true}) {
		t.Error("Bedrock errors misclassified")
	}
	if !retryable(fmt.Errorf("writing s3://b/k: %w", context.DeadlineExceeded)) {
		t.Error("S3 errors must be retried")
	}
	if retryable(&jobspec.InvalidJobError{}) {
		t.Error("invalid jobs must not be retried")
	}
}

func TestWaitStrategy(t *testing.T) {
	for _, tt := range []struct {
		s    pollState
		cont bool
	}{
		{pollState{Status: "InProgress", NextDelay: 5 * time.Second}, true},
		{pollState{Status: "Completed", NextDelay: 5 * time.Second}, false},
		{pollState{Status: "Failed"}, false},
		{pollState{Status: "InProgress", Exhausted: true}, false},
	} {
		d, err := waitStrategy(tt.s, 1)
		if err != nil || d.Continue != tt.cont || (tt.cont && d.Delay != tt.s.NextDelay) {
			t.Errorf("%+v: %+v %v", tt.s, d, err)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Package e2e runs the real handler binaries, built as the deployment
// builds them, through the durabletest HTTP server (Lambda Runtime API and
// durable execution routes) against the Bedrock Runtime and S3 fakes,
// configured only through the environment, as on Lambda; the notifier runs
// under a Runtime API of its own (durabletest.StartPlainFunction) and is
// invoked with the S3 fake's event notifications.
package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/metrics"
	"github.com/bedrockvideo/pipeline/internal/gotoolchain"
)

const bucket = "e2e-videos"

// binary is the bootstrap built once for the whole package; notifierBinary
// the notifier.
var binary, notifierBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "handler-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "bootstrap")
	notifierBinary = filepath.Join(dir, "notifier", "bootstrap")
	for out, pkg := range map[string]string{binary: "./handler/cmd/bootstrap", notifierBinary: "./handler/cmd/notifier"} {
		// The deployment's build flags (see infra/build.go), for this
		// host's architecture so the binary can run here.
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, pkg)
		cmd.Dir = "../.."
		cmd.Env = append(gotoolchain.Environ(os.Environ()), "CGO_ENABLED=0", "GOOS=linux")
		if log, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, log)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type fakes struct {
	bedrock *awsfake.Bedrock
	s3      *awsfake.S3
	events  *awsfake.EventBridge
	env     []string
}

// newFakes runs the function as the deployment does with
// eventDrivenCompletion off: it follows each job by polling. The tests of
// this file count on that; events_test.go runs the default, event-driven
// deployment with the notifier.
func newFakes(t *testing.T) *fakes {
	return newFakesWith(t, false)
}

func newFakesWith(t *testing.T, completionCallbacks bool) *fakes {
	b := awsfake.NewBedrock(t, jobspec.KnownModels()...)
	s := awsfake.NewS3(t, bucket)
	b.WriteOutputTo(s)
	eb := awsfake.NewEventBridge(t, "video-events")
	env := []string{
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + b.URL(),
		"AWS_ENDPOINT_URL_S3=" + s.URL(),
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + eb.URL(),
		// Set by Lambda itself: the function's region and name.
		"AWS_REGION=eu-west-1",
		"AWS_LAMBDA_FUNCTION_NAME=video-handler",
	}
	// The function's environment as the deployment writes it for the
	// default settings (the catalogue's live model in its region), with
	// its own event bus and metrics namespace.
	cfg := config.Defaults(bucket)
	cfg.EventBus, cfg.MetricsNamespace = "video-events", "E2E/Video"
	cfg.CompletionCallbacks = completionCallbacks
	for k, v := range cfg.Environ() {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return &fakes{bedrock: b, s3: s, events: eb, env: env}
}

// setting is one environment entry overriding the deployment's.
func setting(name, value string) string { return name + "=" + value }

func (f *fakes) run(t *testing.T, records []events.SQSMessage, opts ...durabletest.Option) *durabletest.Result[events.SQSEventResponse] {
	t.Helper()
	opts = append([]durabletest.Option{
		durabletest.WithEnv(f.env...),
		durabletest.WithExecutionTimeout(900 * time.Second),
	}, opts...)
	r := durabletest.NewProcessRunner[events.SQSEvent, events.SQSEventResponse](binary, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func (f *fakes) result(t *testing.T, id string) jobstore.Result {
	t.Helper()
	obj, ok := f.s3.Get(bucket, jobstore.ResultKey(id))
	if !ok {
		t.Fatalf("no result.json for %s; keys: %v", id, f.s3.Keys(bucket, ""))
	}
	var r jobstore.Result
	if err := json.Unmarshal(obj.Body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func msg(id, body string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs"}
}

func failed(res *durabletest.Result[events.SQSEventResponse]) []string {
	var ids []string
	for _, f := range res.Value.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestBatchThroughTheBinary(t *testing.T) {
	f := newFakes(t)
	const secret = "a prompt that must stay out of the logs"
	res := f.run(t, []events.SQSMessage{
		msg("default", `{"prompt":"`+secret+`"}`),
		msg("luma", `{"prompt":"surf at dawn","model":"luma.ray-v2:0","resolution":"540p","durationSeconds":9}`),
		msg("keyframe", `{"prompt":"the lamp flickers on","image":{"bytes":"`+smallPNG(t)+`","format":"png"}}`),
		msg("invalid", `{"prompt":"x","durationSeconds":7}`),
	})
	if res.Status != durabletest.StatusSucceeded {
		t.Fatalf("execution %s %+v\n%s\n%s", res.Status, res.Error, res.Tree(), res.Logs)
	}
	// The invalid record's outcome is its FAILED result.json: it is not
	// redelivered.
	if got := failed(res); len(got) != 0 {
		t.Errorf("batch item failures %v, want none", got)
	}
	if !strings.Contains(res.RawResult, `"batchItemFailures":[]`) {
		t.Errorf("raw result %s", res.RawResult)
	}
	for _, id := range []string{"default", "luma", "keyframe"} {
		r := f.result(t, id)
		if r.Status != jobstore.StatusSucceeded || r.Checks < 1 {
			t.Errorf("%s: %+v", id, r)
			continue
		}
		key := strings.TrimPrefix(r.VideoURI, "s3://"+bucket+"/")
		if _, ok := f.s3.Get(bucket, key); !ok {
			t.Errorf("%s: video %s missing", id, r.VideoURI)
		}
	}
	if r := f.result(t, "invalid"); r.Status != jobstore.StatusFailed || !strings.Contains(r.Error.Message, "durationSeconds") {
		t.Errorf("invalid: %+v", r)
	}
	if n := len(f.bedrock.Jobs()); n != 3 {
		t.Errorf("%d Bedrock jobs, want 3", n)
	}
	if strings.Contains(res.Logs, secret) {
		t.Error("the prompt reached the logs")
	}
	var jsonLines int
	for _, line := range strings.Split(res.Logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["messageId"] != nil {
			jsonLines++
		}
	}
	if jsonLines == 0 {
		t.Errorf("no JSON log lines with a messageId:\n%s", res.Logs)
	}

	// One completion event per finished record on the configured bus, and
	// valid EMF lines in the configured namespace.
	types := map[string]string{}
	for _, ev := range f.events.Events() {
		var d jobstore.Result
		if err := json.Unmarshal(ev.Detail, &d); err != nil || ev.Bus != "video-events" || !ev.Delivered {
			t.Errorf("event %+v: %v", ev, err)
		}
		if _, dup := types[d.MessageID]; dup {
			t.Errorf("second event for %s", d.MessageID)
		}
		types[d.MessageID] = ev.DetailType
	}
	if want := map[string]string{"default": "Video Generation Succeeded", "luma": "Video Generation Succeeded",
		"keyframe": "Video Generation Succeeded", "invalid": "Video Generation Failed"}; !maps.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
	docs, err := metrics.DecodeLog([]byte(res.Logs))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, d := range docs {
		if d.Namespace != "E2E/Video" || d.Root["FunctionName"] != "video-handler" {
			t.Errorf("EMF document %q %v", d.Namespace, d.Root["FunctionName"])
		}
		for name, v := range d.Values {
			counts[name] += v
		}
	}
	if counts[metrics.JobsStarted] != 3 || counts[metrics.JobsSucceeded] != 3 || counts[metrics.JobsFailed] != 1 {
		t.Errorf("metric sums %v", counts)
	}
}

// smallPNG is an opaque 32×18 PNG in base64.
func smallPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 18))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: 250, G: 200, B: 90, A: 255}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestKilledProcessStartsOneJob(t *testing.T) {
	clean := newFakes(t).run(t, []events.SQSMessage{msg("m", `{"prompt":"x"}`)})
	crashes := 0
	for _, n := range []int{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprintf("crash after checkpoint %d", n), func(t *testing.T) {
			f := newFakes(t)
			res := f.run(t, []events.SQSMessage{msg("m", `{"prompt":"x"}`)}, durabletest.WithCrashAfterCheckpoint(n))
			if res.Status != durabletest.StatusSucceeded || len(failed(res)) != 0 {
				t.Fatalf("execution %s, failures %v\n%s", res.Status, failed(res), res.Tree())
			}
			if res.Invocations > clean.Invocations {
				crashes++ // the killed invocation was re-run
			}
			var jobs int
			for _, j := range f.bedrock.Jobs() {
				if j.Token == bedrockjob.ClientRequestToken("m") {
					jobs++
				}
			}
			if jobs != 1 || f.result(t, "m").Status != jobstore.StatusSucceeded {
				t.Errorf("%d jobs, result %+v", jobs, f.result(t, "m"))
			}
		})
	}
	// Checkpoints are batched, so how many a run makes varies a little;
	// most of these points must fall inside the run.
	if crashes < 3 {
		t.Errorf("only %d of 5 runs were killed mid-execution", crashes)
	}
}

func TestBadConfigurationIsReported(t *testing.T) {
	f := newFakes(t)
	f.env = append(f.env, setting(config.EnvOutputBucket, ""), setting(config.EnvExecutionTimeout, "3600"))
	res := f.run(t, []events.SQSMessage{msg("m", `{"prompt":"x"}`)}, durabletest.WithMaxInvocations(2))
	if res.Status == durabletest.StatusSucceeded {
		t.Fatal("execution succeeded without a bucket")
	}
	for _, want := range []string{config.EnvOutputBucket + " is required", config.EnvExecutionTimeout + `="3600"`} {
		if !strings.Contains(res.Logs, want) {
			t.Errorf("logs lack %q:\n%s", want, res.Logs)
		}
	}
	if n := f.bedrock.TotalStartCalls(); n != 0 {
		t.Errorf("%d Bedrock calls", n)
	}
}

func TestBudgetSpentThenRedelivered(t *testing.T) {
	f := newFakes(t)
	f.env = append(f.env, setting(config.EnvExecutionTimeout, "120"))
	f.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	m := msg("slow", `{"prompt":"a slow render"}`)

	res := f.run(t, []events.SQSMessage{m}, durabletest.WithExecutionTimeout(120*time.Second))
	if res.Status != durabletest.StatusSucceeded || !slices.Equal(failed(res), []string{"slow"}) {
		t.Fatalf("execution %s, failures %v: the record must be reported before the 120 s timeout\n%s", res.Status, failed(res), res.Tree())
	}
	if _, ok := f.s3.Get(bucket, jobstore.ResultKey("slow")); ok {
		t.Error("result.json written for a job that is still running")
	}
	jobs := f.bedrock.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}

	f.bedrock.Complete(jobs[0].InvocationArn)
	res = f.run(t, []events.SQSMessage{m}, durabletest.WithExecutionTimeout(120*time.Second))
	if res.Status != durabletest.StatusSucceeded || len(failed(res)) != 0 {
		t.Fatalf("redelivery: %s, failures %v", res.Status, failed(res))
	}
	if f.bedrock.TotalStartCalls() != 1 || len(f.bedrock.Jobs()) != 1 {
		t.Errorf("%d start calls, %d jobs: the redelivery did not re-attach", f.bedrock.TotalStartCalls(), len(f.bedrock.Jobs()))
	}
	if r := f.result(t, "slow"); r.Status != jobstore.StatusSucceeded || r.InvocationArn != jobs[0].InvocationArn {
		t.Errorf("result %+v", r)
	}
}

// TestRetiredModelThroughTheBinary deploys the function as it was before
// Nova Reel's end of life: it still starts (with a warning), and every job
// ends FAILED with ModelEndOfLife, naming the replacement, in result.json.
func TestRetiredModelThroughTheBinary(t *testing.T) {
	f := newFakes(t)
	f.bedrock.Region = "us-east-1"
	f.bedrock.SetClock(awsfake.ClockFrom(time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)))
	f.env = append(f.env, setting(config.EnvModelID, "amazon.nova-reel-v1:1"), setting(config.EnvAllowedModels, "amazon.nova-reel-v1:1"),
		setting(config.EnvRegion, "us-east-1"))
	res := f.run(t, []events.SQSMessage{msg("old", `{"prompt":"a red fox"}`)})
	// The outcome is in result.json, so the message is not redelivered.
	if res.Status != durabletest.StatusSucceeded || len(failed(res)) != 0 {
		t.Fatalf("execution %s, failures %v\n%s", res.Status, failed(res), res.Logs)
	}
	r := f.result(t, "old")
	if r.Status != jobstore.StatusFailed || r.Error == nil || r.Error.Type != "ModelEndOfLife" || !strings.Contains(r.Error.Message, "use luma.ray-v2:0 in us-west-2") {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(res.Logs, "jobs without a model will fail") || !strings.Contains(res.Logs, "reached its end of life on Amazon Bedrock on 2026-09-30") {
		t.Errorf("no start-up warning in the logs:\n%s", res.Logs)
	}
	if n := len(f.bedrock.Jobs()); n != 0 {
		t.Errorf("%d jobs created for a retired model", n)
	}
}

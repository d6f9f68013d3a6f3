package workflow

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// emf decodes the run's EMF documents (failing on an invalid one) and
// returns them by metric name.
func emf(t *testing.T, logs string) map[string][]metrics.Document {
	t.Helper()
	docs, err := metrics.DecodeLog([]byte(logs))
	if err != nil {
		t.Fatalf("invalid EMF: %v\nlogs:\n%s", err, logs)
	}
	by := map[string][]metrics.Document{}
	for _, d := range docs {
		if d.Namespace != "BedrockVideoPipeline" || d.Root[metrics.DimFunctionName] != "video-handler" {
			t.Errorf("document in namespace %q for function %v", d.Namespace, d.Root[metrics.DimFunctionName])
		}
		for name := range d.Values {
			by[name] = append(by[name], d)
		}
	}
	return by
}

// eventFor returns the single completion event of a message, failing the
// test when there is not exactly one, and checks that its detail is the
// message's result.json.
func (e *env) eventFor(id string) awsfake.Event {
	e.t.Helper()
	var found []awsfake.Event
	for _, ev := range e.events.Events() {
		var d struct {
			MessageID string `json:"messageId"`
		}
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			e.t.Fatalf("event detail %s: %v", ev.Detail, err)
		}
		if d.MessageID == id {
			found = append(found, ev)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("%d completion events for %s, want 1: %+v", len(found), id, found)
	}
	ev := found[0]
	var detail jobstore.Result
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		e.t.Fatal(err)
	}
	got, _ := json.Marshal(detail)
	want, _ := json.Marshal(e.result(id))
	if string(got) != string(want) {
		e.t.Errorf("event detail %s, want result.json %s", got, want)
	}
	if ev.Source != "bedrockvideo.pipeline" || ev.Bus != "default" || !ev.Delivered {
		e.t.Errorf("event %+v", ev)
	}
	return ev
}

func TestSuccessPublishesOneEventAndMetrics(t *testing.T) {
	e := newEnv(t)
	res := e.run([]events.SQSMessage{record("m-1", `{"prompt":"a lighthouse in a storm"}`)})
	if res.Invocations < 2 {
		t.Fatalf("%d invocations; the test needs replays to prove nothing is repeated", res.Invocations)
	}
	job := e.jobsFor("m-1")[0]
	ev := e.eventFor("m-1")
	if ev.DetailType != "Video Generation Succeeded" || !slices.Equal(ev.Resources, []string{job.InvocationArn}) {
		t.Errorf("event %+v", ev)
	}
	if r := e.result("m-1"); !ev.Time.Equal(mustTime(t, r.CompletedAt)) {
		t.Errorf("event time %v, completedAt %s", ev.Time, r.CompletedAt)
	}

	m := emf(t, res.Logs)
	for name, want := range map[string]int{
		metrics.JobsStarted: 1, metrics.JobsSucceeded: 1, metrics.GenerationSeconds: 1,
		metrics.ChecksPerJob: 1, metrics.DetectionDelaySeconds: 1, metrics.JobsFailed: 0, metrics.QuotaWaits: 0,
	} {
		if got := len(m[name]); got != want {
			t.Errorf("%s written %d times over %d invocations, want %d", name, got, res.Invocations, want)
		}
	}
	done := m[metrics.JobsSucceeded][0]
	if done.Values[metrics.ChecksPerJob] != 3 || done.Units[metrics.GenerationSeconds] != metrics.Seconds ||
		done.Values[metrics.GenerationSeconds] < 0 || done.Values[metrics.DetectionDelaySeconds] < 0 {
		t.Errorf("outcome metrics %v %v", done.Values, done.Units)
	}
	if done.Root["messageId"] != "m-1" || done.Root["invocationArn"] != job.InvocationArn {
		t.Errorf("outcome line lacks the job's identity: %v", done.Root)
	}
	if !slices.EqualFunc(done.Dimensions, [][]string{{"FunctionName"}}, slices.Equal) {
		t.Errorf("dimensions %v", done.Dimensions)
	}
}

func TestFailuresPublishFailedEventsAndMetricsByErrorType(t *testing.T) {
	e := newEnv(t)
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: 1, Fail: true, FailureMessage: "content filter blocked the output"})
	res := e.run([]events.SQSMessage{
		record("bad", `{"prompt":""}`),
		record("filtered", `{"prompt":"something the filter blocks"}`),
	})
	if got := failures(res); len(got) != 0 {
		t.Fatalf("failures %v: records with an outcome are not redelivered", got)
	}
	if len(e.jobsFor("bad")) != 0 {
		t.Fatal("an invalid job reached Bedrock")
	}
	for id, errorType := range map[string]string{"bad": "InvalidJob", "filtered": "JobFailed"} {
		ev := e.eventFor(id)
		var d jobstore.Result
		_ = json.Unmarshal(ev.Detail, &d)
		if ev.DetailType != "Video Generation Failed" || d.Status != "FAILED" || d.Error == nil || d.Error.Type != errorType {
			t.Errorf("%s: event %s %s", id, ev.DetailType, ev.Detail)
		}
	}
	if ev := e.eventFor("bad"); len(ev.Resources) != 0 {
		t.Errorf("a job that never started names resources %v", ev.Resources)
	}

	m := emf(t, res.Logs)
	if len(m[metrics.JobsStarted]) != 1 || len(m[metrics.JobsSucceeded]) != 0 || len(m[metrics.GenerationSeconds]) != 0 {
		t.Errorf("started %d, succeeded %d, generation %d", len(m[metrics.JobsStarted]), len(m[metrics.JobsSucceeded]), len(m[metrics.GenerationSeconds]))
	}
	byType := map[string]metrics.Document{}
	for _, d := range m[metrics.JobsFailed] {
		byType[d.Root[metrics.DimErrorType].(string)] = d
		if !slices.EqualFunc(d.Dimensions, [][]string{{"FunctionName"}, {"FunctionName", "ErrorType"}}, slices.Equal) || d.Values[metrics.JobsFailed] != 1 {
			t.Errorf("failure document %v %v", d.Dimensions, d.Values)
		}
	}
	if len(byType) != 2 || byType["InvalidJob"].Root["messageId"] != "bad" || byType["JobFailed"].Root["messageId"] != "filtered" {
		t.Errorf("failures by type %v", byType)
	}
	checks := map[any]float64{}
	for _, d := range m[metrics.ChecksPerJob] {
		checks[d.Root["messageId"]] = d.Values[metrics.ChecksPerJob]
		if !slices.EqualFunc(d.Dimensions, [][]string{{"FunctionName"}}, slices.Equal) {
			t.Errorf("checks are broken down by %v; only failures are counted by type", d.Dimensions)
		}
	}
	if _, ok := checks["bad"]; ok || checks["filtered"] != 2 {
		t.Errorf("checks per job %v: want 2 for the failed job, none for the job that never started", checks)
	}
}

func TestQuotaWaitsAreCounted(t *testing.T) {
	e := newEnv(t)
	e.bedrock.Inject(awsfake.OpStartAsyncInvoke,
		awsfake.BedrockFault("ServiceQuotaExceededException", "too many jobs"), awsfake.BedrockFault("ThrottlingException", "slow down"))
	res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
	m := emf(t, res.Logs)
	if len(m[metrics.QuotaWaits]) != 2 || len(m[metrics.JobsStarted]) != 1 {
		t.Fatalf("quota waits %d, started %d", len(m[metrics.QuotaWaits]), len(m[metrics.JobsStarted]))
	}
	var types []string
	for _, d := range m[metrics.QuotaWaits] {
		types = append(types, d.Root[metrics.DimReason].(string))
		if !slices.EqualFunc(d.Dimensions, [][]string{{"FunctionName"}, {"FunctionName", "Reason"}}, slices.Equal) {
			t.Errorf("quota wait dimensions %v", d.Dimensions)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{"ServiceQuotaExceededException", "ThrottlingException"}) {
		t.Errorf("quota wait reasons %v", types)
	}
}

// A partial PutEvents failure fails the write-result step, which retries:
// the record still ends with one event and its video.
func TestFailedEventEntryIsRetried(t *testing.T) {
	e := newEnv(t)
	e.events.FailEntries(awsfake.EntryFault{Code: "InternalFailure", Message: "try again"})
	res := e.run([]events.SQSMessage{record("m", `{"prompt":"x"}`)})
	if len(failures(res)) != 0 || e.result("m").Status != "SUCCEEDED" {
		t.Fatalf("failures %v", failures(res))
	}
	if ev := e.eventFor("m"); ev.DetailType != "Video Generation Succeeded" {
		t.Errorf("event %+v", ev)
	}
	if e.events.Requests() != 2 {
		t.Errorf("%d PutEvents requests, want 2 (the failed entry and its retry)", e.events.Requests())
	}
}

// A job still running when the budget ran out has no outcome: no event and
// no outcome metric until a later execution sees it end.
func TestNoEventWhileTheJobRuns(t *testing.T) {
	e := newEnv(t)
	e.deps.Config.ExecutionTimeout = 120 * time.Second
	e.bedrock.SetLifecycle(awsfake.Lifecycle{InProgressChecks: -1})
	res := e.run([]events.SQSMessage{record("long", `{"prompt":"x"}`)})
	if !slices.Equal(failures(res), []string{"long"}) || len(e.events.Events()) != 0 {
		t.Fatalf("failures %v, events %d", failures(res), len(e.events.Events()))
	}
	m := emf(t, res.Logs)
	if len(m[metrics.JobsStarted]) != 1 || len(m[metrics.JobsSucceeded])+len(m[metrics.JobsFailed]) != 0 {
		t.Errorf("metrics %v", m)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Records deferred for capacity get no event and no outcome metric; their
// waits are counted by reason and the batch line counts them; their next
// delivery ends them with one event each.
func TestDeferredRecordsAreCountedNotPublished(t *testing.T) {
	m := capacityModels[0]
	c := newCapacityEnv(t, m, 1, 150*time.Second)
	recs, ids := burst(8, m.body)
	res := c.deliver(recs)
	reported := failures(res)
	deferred := 0
	for _, id := range reported {
		if len(c.jobsFor(id)) == 0 {
			deferred++
		}
	}
	if deferred == 0 {
		t.Fatal("no record was deferred; the test needs some")
	}
	mm := emf(t, res.Logs)
	if got := mm[metrics.WaitingForCapacity]; len(got) != 1 || got[0].Values[metrics.WaitingForCapacity] != float64(deferred) ||
		got[0].Values[metrics.Redelivered] != float64(len(reported)) {
		t.Errorf("batch metrics %+v, want %d waiting for capacity and %d redelivered", got, deferred, len(reported))
	}
	if len(mm[metrics.QuotaWaits]) == 0 {
		t.Error("records waited for capacity but no QuotaWaits was written")
	}
	for _, d := range mm[metrics.QuotaWaits] {
		if d.Root[metrics.DimReason] != RefusedByAdmission {
			t.Errorf("quota wait reason %v, want %s", d.Root[metrics.DimReason], RefusedByAdmission)
		}
	}
	if len(mm[metrics.JobsSucceeded])+len(mm[metrics.JobsFailed]) != len(ids)-len(reported) {
		t.Errorf("%d outcome metrics for %d records with an outcome", len(mm[metrics.JobsSucceeded])+len(mm[metrics.JobsFailed]), len(ids)-len(reported))
	}
	published := map[string]bool{}
	for _, ev := range c.events.Events() {
		var d jobstore.Result
		_ = json.Unmarshal(ev.Detail, &d)
		published[d.MessageID] = true
	}
	for _, id := range reported {
		if published[id] {
			t.Errorf("%s has no outcome yet but an event was published", id)
		}
	}

	var again []events.SQSMessage
	for _, r := range recs {
		if slices.Contains(reported, r.MessageId) {
			again = append(again, r)
		}
	}
	res2 := c.deliver(again)
	for _, id := range ids {
		if ev := c.eventFor(id); ev.DetailType != "Video Generation Succeeded" {
			t.Errorf("%s: %s", id, ev.DetailType)
		}
	}
	// Jobs that re-attach on the second delivery were counted when they
	// started: one JobsStarted per job over both deliveries.
	started := len(mm[metrics.JobsStarted]) + len(emf(t, res2.Logs)[metrics.JobsStarted])
	if started != len(ids) || len(c.bedrock.Jobs()) != len(ids) {
		t.Errorf("JobsStarted written %d times for %d jobs", started, len(c.bedrock.Jobs()))
	}
}

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
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// virtualClock reads the virtual clock of the durabletest execution that
// is running, so the workflow's deadline and the Bedrock fake's jobs live
// on the same time line as the durable waits.
type virtualClock struct {
	mu  sync.Mutex
	svc *durabletest.Service
	arn string
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	svc, arn := c.svc, c.arn
	c.mu.Unlock()
	if svc == nil || arn == "" {
		return time.Now().UTC()
	}
	t, err := svc.Now(arn)
	if err != nil {
		panic(fmt.Sprintf("virtual clock: %v", err))
	}
	return t
}

// capacityEnv is an env whose workflow and Bedrock fake follow the virtual
// clock, with the fake in quota mode.
type capacityEnv struct {
	*env
	clock *virtualClock
	// deliveryStart is the virtual time at which the next delivery's
	// execution starts.
	deliveryStart time.Time
}

func newCapacityEnv(t *testing.T, m capacityModel, quota int, generation time.Duration) *capacityEnv {
	e := newEnv(t)
	c := &capacityEnv{env: e, clock: &virtualClock{}, deliveryStart: m.start}
	e.bedrock.Region = m.region
	e.deps.Config.BedrockRegion = m.region
	e.deps.Config.DefaultModel = m.id
	e.deps.Config.AllowedModels = []string{m.id}
	e.deps.Now = c.clock.Now
	e.deps.Config.MaxConcurrency = 10
	e.deps.Config.ConcurrentJobs = quota
	e.bedrock.SetClock(c.clock.Now)
	e.bedrock.SetConcurrentJobQuota(quota)
	e.bedrock.SetGenerationTime(func(string, json.RawMessage) time.Duration { return generation })
	return c
}

// deliver runs one execution over records as the event source mapping
// would for one delivery, starting at deliveryStart; the next delivery
// starts a visibility timeout (900 s, the deployment's default) later.
func (c *capacityEnv) deliver(records []events.SQSMessage) *durabletest.Result[events.SQSEventResponse] {
	c.t.Helper()
	h := Handler(c.deps)
	r := durabletest.NewRunner(func(ctx durable.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		c.clock.mu.Lock()
		c.clock.arn = ctx.ExecutionArn()
		c.clock.mu.Unlock()
		return h(ctx, ev)
	},
		durabletest.WithExecutionTimeout(c.deps.Config.ExecutionTimeout),
		durabletest.WithMaxInvocations(2000),
		durabletest.WithServiceOptions(durabletest.WithStartTime(c.deliveryStart)),
	)
	c.clock.mu.Lock()
	c.clock.svc, c.clock.arn = r.Service(), ""
	c.clock.mu.Unlock()
	res, err := r.Run(context.Background(), events.SQSEvent{Records: records})
	if err != nil {
		c.t.Fatalf("run: %v", err)
	}
	if res.Status != durabletest.StatusSucceeded {
		c.t.Fatalf("execution %s (error %+v)\nlogs:\n%s", res.Status, res.Error, res.Logs)
	}
	c.deliveryStart = c.deliveryStart.Add(900 * time.Second)
	return res
}

// noFailedResult requires that no record has a FAILED result.json: a
// capacity shortage is never a failure.
func (c *capacityEnv) noFailedResult(ids []string) {
	c.t.Helper()
	for _, id := range ids {
		if r, found, err := c.deps.Store.LoadResult(context.Background(), id); err != nil || (found && r.Status != jobstore.StatusSucceeded) {
			c.t.Errorf("%s: result %+v, err %v", id, r, err)
		}
	}
}

// oneJobEach requires exactly one Bedrock job per message.
func (c *capacityEnv) oneJobEach(ids []string) {
	c.t.Helper()
	if n := len(c.bedrock.Jobs()); n != len(ids) {
		c.t.Errorf("%d jobs for %d messages", n, len(ids))
	}
	for _, id := range ids {
		if n := len(c.jobsFor(id)); n != 1 {
			c.t.Errorf("%s has %d jobs", id, n)
		}
	}
}

// capacityModel is a model the capacity tests run with: where Bedrock
// serves it, a date at which it is served, and record bodies of its request
// shape.
type capacityModel struct {
	name, id, region string
	start            time.Time
	body             func(i int) string
	// shape is a fragment every job's model input must contain.
	shape string
}

var capacityModels = []capacityModel{
	{"Nova Reel", jobspec.NovaReelV11, "us-east-1", beforeNovaEndOfLife, func(i int) string {
		return fmt.Sprintf(`{"prompt":"a lighthouse in a storm, take %d","seed":%d}`, i, i)
	}, `"taskType":"TEXT_VIDEO"`},
	{"Luma Ray2", jobspec.LumaRay2, "us-west-2", time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), func(i int) string {
		return fmt.Sprintf(`{"prompt":"waves at dawn, take %d","aspectRatio":"9:16","resolution":"540p"}`, i)
	}, `"aspect_ratio":"9:16"`},
}

func burst(n int, body func(int) string) ([]events.SQSMessage, []string) {
	var recs []events.SQSMessage
	var ids []string
	for i := range n {
		id := fmt.Sprintf("msg-%02d", i)
		recs = append(recs, record(id, body(i)))
		ids = append(ids, id)
	}
	return recs, ids
}

// TestBurstWithinQuotaCompletesInOneExecution: ten messages arrive
// together and the account runs three jobs at a time; every record waits
// for a slot and all ten videos are made in the one execution.
func TestBurstWithinQuotaCompletesInOneExecution(t *testing.T) {
	for _, m := range capacityModels {
		t.Run(m.name, func(t *testing.T) {
			c := newCapacityEnv(t, m, 3, 90*time.Second)
			recs, ids := burst(10, m.body)
			res := c.deliver(recs)
			if got := failures(res); len(got) != 0 {
				t.Errorf("records reported for redelivery: %v", got)
			}
			for _, id := range ids {
				if r := c.result(id); r.Status != jobstore.StatusSucceeded {
					t.Errorf("%s: %+v", id, r)
				}
			}
			c.oneJobEach(ids)
			for _, j := range c.bedrock.Jobs() {
				if j.ModelID != m.id || !strings.Contains(string(j.ModelInput), m.shape) {
					t.Errorf("job %s: model %s, input %s", j.ID, j.ModelID, j.ModelInput)
				}
			}
			if p := c.bedrock.PeakInProgress(m.id); p > 3 {
				t.Errorf("%d jobs ran at once, quota 3", p)
			}
			// The records of the batch pass the admission check and the
			// start one at a time, so none of them calls StartAsyncInvoke
			// just to be refused: exactly one call per job.
			quota, _ := c.bedrock.CapacityRefusals()
			if starts := c.bedrock.TotalStartCalls(); starts != 10 || quota != 0 {
				t.Errorf("%d start calls (%d refused for the quota) for 10 jobs", starts, quota)
			}
			if !strings.Contains(res.Logs, `"msg":"waiting for Bedrock capacity"`) {
				t.Errorf("no record waited for capacity:\n%s", res.Logs)
			}
		})
	}
}

// TestOverloadDefersAndFinishesOnTheNextDelivery: eight jobs of 150 s
// against a quota of one do not fit in one 900-s execution. What does not
// start is deferred (reported, nothing written), what started but did not
// finish re-attaches; the next delivery finishes all of them, and nothing
// is ever written FAILED.
func TestOverloadDefersAndFinishesOnTheNextDelivery(t *testing.T) {
	for _, m := range capacityModels {
		t.Run(m.name, func(t *testing.T) {
			c := newCapacityEnv(t, m, 1, 150*time.Second)
			recs, ids := burst(8, m.body)
			res := c.deliver(recs)
			c.noFailedResult(ids)
			reported := failures(res)
			if len(reported) == 0 || len(reported) == len(ids) {
				t.Fatalf("first delivery reported %v", reported)
			}
			deferred := 0
			for _, id := range reported {
				if len(c.jobsFor(id)) == 0 {
					deferred++
					c.noResult(id)
				}
			}
			if deferred == 0 {
				t.Errorf("no record was deferred for capacity:\n%s", res.Logs)
			}
			if !strings.Contains(res.Logs, `"status":"WAITING_FOR_CAPACITY"`) || !strings.Contains(res.Logs, "deferred to its next delivery") {
				t.Errorf("no log line says the records were deferred:\n%s", res.Logs)
			}
			if got := batchMetric(t, res.Logs, metrics.WaitingForCapacity); got != deferred {
				t.Errorf("metric %s = %v, want %d", metrics.WaitingForCapacity, got, deferred)
			}
			if p := c.bedrock.PeakInProgress(c.bedrock.Jobs()[0].ModelID); p != 1 {
				t.Errorf("peak %d jobs at once, quota 1", p)
			}

			// SQS redelivers the reported records a visibility timeout
			// after the first receive.
			var again []events.SQSMessage
			for _, r := range recs {
				if slices.Contains(reported, r.MessageId) {
					again = append(again, r)
				}
			}
			res = c.deliver(again)
			if got := failures(res); len(got) != 0 {
				t.Errorf("second delivery reported %v", got)
			}
			c.noFailedResult(ids)
			for _, id := range ids {
				if r := c.result(id); r.Status != jobstore.StatusSucceeded {
					t.Errorf("%s: %+v", id, r)
				}
			}
			c.oneJobEach(ids)
		})
	}
}

// batchMetric reads metric name from the "batch done" line, which must be a
// valid CloudWatch embedded metric format document declaring it as a count.
func batchMetric(t *testing.T, logs, name string) int {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Msg != "batch done" {
			continue
		}
		docs, isEMF, err := metrics.Decode([]byte(line))
		if err != nil || !isEMF || len(docs) != 1 || docs[0].Namespace != "BedrockVideoPipeline" {
			t.Fatalf("batch done line is not an EMF document (%v): %s", err, line)
		}
		if v, ok := docs[0].Values[name]; ok && docs[0].Units[name] == metrics.Count {
			return int(v)
		}
		t.Fatalf("batch done line declares no metric %s: %s", name, line)
	}
	t.Fatalf("no batch done line:\n%s", logs)
	return 0
}

// TestThrottlingWindowIsWaitedOut: Bedrock throttles every start for two
// minutes; the records wait it out and start one job each.
func TestThrottlingWindowIsWaitedOut(t *testing.T) {
	for _, m := range capacityModels {
		t.Run(m.name, func(t *testing.T) {
			c := newCapacityEnv(t, m, 3, 90*time.Second)
			t0 := c.deliveryStart
			c.bedrock.ThrottleStarts(t0, t0.Add(120*time.Second))
			recs, ids := burst(2, m.body)
			res := c.deliver(recs)
			if got := failures(res); len(got) != 0 {
				t.Errorf("reported %v", got)
			}
			c.oneJobEach(ids)
			for _, j := range c.bedrock.Jobs() {
				if j.SubmitTime.Before(t0.Add(120 * time.Second)) {
					t.Errorf("job %s submitted at %v, inside the throttling window", j.ID, j.SubmitTime)
				}
			}
			if _, th := c.bedrock.CapacityRefusals(); th < 2 {
				t.Errorf("%d throttled starts: the window was not exercised", th)
			}
			// The backoff (full jitter, ceiling 5 s doubling to 60 s) tries
			// about six times in two minutes, never in a tight loop.
			for _, id := range ids {
				if n := c.bedrock.StartCalls(bedrockjob.ClientRequestToken(id)); n > 12 {
					t.Errorf("%s: %d start calls in a 120-s window", id, n)
				}
			}
		})
	}
}

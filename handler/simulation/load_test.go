package simulation

import (
	"fmt"
	"testing"
	"time"
)

// loadCases are the backlogs the README reports: (messages, quota).
var loadCases = [][2]int{{10, 3}, {100, 3}, {1000, 10}}

const loadSeed = 1

// TestLoadMeetsTargets holds the handler's defaults to the capacity
// targets on every reported backlog and job kind: nothing in the
// dead-letter queue, a makespan within 15 % of the best possible, and at
// most 3 StartAsyncInvoke calls per job.
//
// The best possible is N × generation time ÷ Q, or ⌈N ÷ Q⌉ waves of jobs
// when that is longer: ten 90-s jobs on three slots need four waves (360 s,
// not 300 s), whatever the admission policy.
func TestLoadMeetsTargets(t *testing.T) {
	for _, sc := range Scenarios() {
		for _, c := range loadCases {
			t.Run(fmt.Sprintf("%s/N=%d,Q=%d", sc.Name, c[0], c[1]), func(t *testing.T) {
				l := DefaultLoad(c[0], c[1])
				l.Scenario = sc
				r := SimulateLoad(l, loadSeed)
				t.Logf("%+v", r)
				if r.DeadLettered != 0 || r.Videos != c[0] {
					t.Errorf("%d videos, %d messages in the dead-letter queue", r.Videos, r.DeadLettered)
				}
				if best := max(r.Ideal, r.Waves); float64(r.Makespan) > 1.15*float64(best) {
					t.Errorf("makespan %v, more than 15 %% over the best possible %v", r.Makespan, best)
				}
				if r.StartsPerJob() > 3 {
					t.Errorf("%.2f start calls per job, target ≤ 3", r.StartsPerJob())
				}
			})
		}
	}
}

// TestAdmissionCheckSavesStartCalls: without the ListAsyncInvokes check
// every waiting record keeps calling StartAsyncInvoke and Bedrock refuses
// nearly all of them.
func TestAdmissionCheckSavesStartCalls(t *testing.T) {
	with := SimulateLoad(DefaultLoad(100, 3), loadSeed)
	l := DefaultLoad(100, 3)
	l.Admission = false
	without := SimulateLoad(l, loadSeed)
	if with.StartsPerJob() > 3 || without.StartsPerJob() < 10*with.StartsPerJob() {
		t.Errorf("start calls per job: %.2f with the admission check, %.2f without", with.StartsPerJob(), without.StartsPerJob())
	}
}

// TestFewReceivesDeadLetterABacklog shows why maxReceiveCount defaults to
// 100: with the former 3, a backlog of Luma Ray2 jobs (2–5 minutes each)
// against a quota of 3 sends messages to the dead-letter queue although
// nothing failed.
func TestFewReceivesDeadLetterABacklog(t *testing.T) {
	l := DefaultLoad(100, 3)
	l.Scenario = Scenarios()[2]
	l.MaxReceives = 3
	if r := SimulateLoad(l, loadSeed); r.DeadLettered == 0 {
		t.Errorf("no message dead-lettered with 3 receives: %+v", r)
	}
	l.MaxReceives = DefaultLoad(100, 3).MaxReceives
	if r := SimulateLoad(l, loadSeed); r.DeadLettered != 0 || r.MaxDeliveries*2 > l.MaxReceives {
		t.Errorf("default receives: %d dead-lettered, at most %d deliveries (want half the limit or less)", r.DeadLettered, r.MaxDeliveries)
	}
}

// TestLoadIsDeterministicAndConsistent checks the simulation itself: a
// capacity the account does not have would make every number above
// meaningless.
func TestLoadIsDeterministicAndConsistent(t *testing.T) {
	a := SimulateLoad(DefaultLoad(100, 3), 7)
	b := SimulateLoad(DefaultLoad(100, 3), 7)
	c := SimulateLoad(DefaultLoad(100, 3), 8)
	if a != b {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	if a == c {
		t.Error("different seeds, same results: the generator is not used")
	}
	if a.StartCalls != a.Videos+a.WastedStarts {
		t.Errorf("%d start calls, %d videos, %d refused", a.StartCalls, a.Videos, a.WastedStarts)
	}
	if a.Makespan < a.Ideal || a.Makespan < time.Duration(float64(a.Waves)*0.9) {
		t.Errorf("makespan %v beats the ideal %v or the waves %v: the quota leaks", a.Makespan, a.Ideal, a.Waves)
	}
}

// BenchmarkLoad replays the backlogs the README reports and records, as
// custom metrics, the makespan against the ideal, deliveries per message,
// StartAsyncInvoke calls per job and wasted on quota answers, and messages
// sent to the dead-letter queue.
func BenchmarkLoad(b *testing.B) {
	for _, sc := range []Scenario{Scenarios()[0], Scenarios()[2]} {
		for _, c := range loadCases {
			b.Run(fmt.Sprintf("%s/N=%d,Q=%d", sc.Name, c[0], c[1]), func(b *testing.B) {
				l := DefaultLoad(c[0], c[1])
				l.Scenario = sc
				var r LoadResult
				for b.Loop() {
					r = SimulateLoad(l, loadSeed)
				}
				b.ReportMetric(r.Makespan.Seconds(), "makespan-s")
				b.ReportMetric(r.Ideal.Seconds(), "ideal-s")
				b.ReportMetric(r.MakespanRatio(), "makespan/ideal")
				b.ReportMetric(r.WavesRatio(), "makespan/waves")
				b.ReportMetric(r.Deliveries, "deliveries/msg")
				b.ReportMetric(float64(r.MaxDeliveries), "max-deliveries")
				b.ReportMetric(r.StartsPerJob(), "starts/job")
				b.ReportMetric(float64(r.WastedStarts)/float64(max(r.Videos, 1)), "wasted-starts/job")
				b.ReportMetric(float64(r.DeadLettered), "dlq")
			})
		}
	}
}

package simulation

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// Notification models the path from a video landing in the bucket to the
// waiting workflow resuming: S3 delivering the event to the notifier
// (asynchronous Lambda invocation), the notifier reading callback.json and
// calling SendDurableExecutionCallbackSuccess, and Lambda re-invoking the
// durable function. AWS documents only that S3 event notifications are
// "typically delivered in seconds but can sometimes take a minute or
// longer" and are "designed to be delivered at least once" (Amazon S3 user
// guide, "Amazon S3 Event Notifications"), so the shares below are stated
// assumptions, and the README shows how the result moves with them.
type Notification struct {
	// Delay is the usual delay from landing to resuming.
	Delay Distribution
	// LateShare of the notifications take Late instead.
	LateShare float64
	Late      Distribution
	// LostShare of the notifications never complete the callback (the
	// notifier failing past its retries, say); the fallback checks find
	// those jobs.
	LostShare float64
}

// DefaultNotification is the model the README's numbers use: S3 to notifier
// log-normal around 0.4 s plus 0.4 s for the notifier's two calls and the
// durable function's resume; 0.2% of events a minute or two late; 0.1%
// lost.
func DefaultNotification() Notification {
	return Notification{
		Delay:     Shifted{By: 400 * time.Millisecond, D: LogNormal{Median: 400 * time.Millisecond, Sigma: 0.6}},
		LateShare: 0.002,
		Late:      Uniform{Min: time.Minute, Max: 2 * time.Minute},
		LostShare: 0.001,
	}
}

// String describes the model.
func (n Notification) String() string {
	return fmt.Sprintf("%v; %.1f%% %v; %.1f%% lost", n.Delay, 100*n.LateShare, n.Late, 100*n.LostShare)
}

func (n Notification) sample(r *rand.Rand) (time.Duration, bool) {
	if r.Float64() < n.LostShare {
		return 0, false
	}
	if r.Float64() < n.LateShare {
		return n.Late.Sample(r), true
	}
	return n.Delay.Sample(r), true
}

// Shifted is D plus a constant.
type Shifted struct {
	By time.Duration
	D  Distribution
}

// Sample draws one value.
func (d Shifted) Sample(r *rand.Rand) time.Duration { return d.By + d.D.Sample(r) }

// String describes the distribution.
func (d Shifted) String() string { return fmt.Sprintf("%v + %v", d.By, d.D) }

// Scaled is D multiplied by Factor: a model faster or slower than the
// catalogue's profile.
type Scaled struct {
	Factor float64
	D      Distribution
}

// Sample draws one value.
func (d Scaled) Sample(r *rand.Rand) time.Duration {
	return time.Duration(d.Factor * float64(d.D.Sample(r)))
}

// String describes the distribution.
func (d Scaled) String() string { return fmt.Sprintf("%.1f× (%v)", d.Factor, d.D) }

// EventResult summarizes event-driven completion on one scenario.
type EventResult struct {
	Scenario string
	// Scale is the generation time relative to the scenario's.
	Scale float64
	Jobs  int
	// Detected is the share of successful jobs whose video was seen
	// before the message ran out of receives.
	Detected float64
	// MeanDelay and P95Delay measure, over detected successful jobs, the
	// time from the video landing to the workflow knowing it.
	MeanDelay, P95Delay time.Duration
	// Between is the share of videos that landed while no execution was
	// waiting (after one execution's budget ended, before SQS redelivered
	// the message): the next execution finds them when it registers.
	// WaitingMeanDelay is the mean delay of the others.
	Between          float64
	WaitingMeanDelay time.Duration
	// MeanChecks and MaxChecks count GetAsyncInvoke calls per successful
	// job over all executions.
	MeanChecks float64
	MaxChecks  int
	// FailedDetected is the share of failed jobs (same generation times,
	// no video) whose failure was seen; FailedMeanDelay and
	// FailedMaxDelay measure from the failure to the check that saw it.
	FailedDetected                  float64
	FailedMeanDelay, FailedMaxDelay time.Duration
	// FailedOnSchedule is the share of failed jobs seen at the first
	// fallback check the schedule plans after the failure (the others were
	// planned while no execution ran, between a budget's end and the
	// redelivery, and are seen at the next execution's first check).
	FailedOnSchedule float64
}

// executionChecks lists, for each execution of a message, when it starts
// (job age), its deadline, and the job ages of the fallback checks it
// makes while the job runs.
type executionChecks struct {
	start, deadline time.Duration
	checks          []time.Duration
}

func plannedExecutions(sc Scenario, d Deliveries) []executionChecks {
	out := make([]executionChecks, d.MaxReceives)
	for k := range out {
		start := time.Duration(k) * d.Visibility
		s := pollschedule.New(sc.Model, sc.VideoSeconds, start+d.Budget)
		e := executionChecks{start: start, deadline: start + d.Budget}
		for c := s.NextFallbackCheck(start); c <= e.deadline; c = s.NextFallbackCheck(c) {
			e.checks = append(e.checks, c)
		}
		out[k] = e
	}
	return out
}

// SimulateEvents runs jobs successful and jobs failed jobs of scenario sc,
// with generation times scaled by scale, through event-driven completion
// under notification model n and deliveries d, seeded with seed. It
// follows the workflow's rules: each execution registers a callback at its
// start and lists the output prefix (finding a video that landed between
// executions), waits for the notification until each planned fallback
// check, and trusts a notified video without a check.
func SimulateEvents(sc Scenario, scale float64, n Notification, d Deliveries, jobs int, seed uint64) EventResult {
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	gen := Scaled{Factor: scale, D: sc.Generation}
	execs := plannedExecutions(sc, d)
	res := EventResult{Scenario: sc.Name, Scale: scale, Jobs: jobs}

	delays := make([]time.Duration, 0, jobs)
	waiting := make([]time.Duration, 0, jobs)
	var checks int
	for range jobs {
		landed := gen.Sample(r)
		delay, delivered := n.sample(r)
		notified := landed + delay
		c, at, ok := detectVideo(execs, landed, notified, delivered)
		checks += c
		res.MaxChecks = max(res.MaxChecks, c)
		if !ok {
			continue
		}
		delays = append(delays, at-landed)
		if duringExecution(execs, landed) {
			waiting = append(waiting, at-landed)
		}
	}
	res.Detected = float64(len(delays)) / float64(jobs)
	res.MeanDelay, res.P95Delay = meanP95(delays)
	res.WaitingMeanDelay, _ = meanP95(waiting)
	res.Between = 1 - float64(len(waiting))/float64(max(len(delays), 1))
	res.MeanChecks = float64(checks) / float64(jobs)

	failed := make([]time.Duration, 0, jobs)
	onSchedule := 0
	for range jobs {
		at := gen.Sample(r)
		seen, ok := detectFailure(execs, at)
		planned := firstPlannedCheck(sc, at)
		if !ok {
			continue
		}
		failed = append(failed, seen-at)
		if seen == planned {
			onSchedule++
		}
	}
	res.FailedDetected = float64(len(failed)) / float64(jobs)
	res.FailedMeanDelay, _ = meanP95(failed)
	if len(failed) > 0 {
		res.FailedMaxDelay = slices.Max(failed)
		res.FailedOnSchedule = float64(onSchedule) / float64(len(failed))
	}
	return res
}

// detectVideo follows one successful job through the executions: it
// returns the checks made and when the workflow learned of the video.
func detectVideo(execs []executionChecks, landed, notified time.Duration, delivered bool) (checks int, at time.Duration, ok bool) {
	for _, e := range execs {
		if landed <= e.start {
			return checks, e.start, true // found by the registration's listing
		}
		for _, c := range e.checks {
			if delivered && notified <= c {
				break
			}
			checks++
			if landed <= c {
				return checks, c, true
			}
		}
		if delivered && notified > e.start && notified <= e.deadline {
			return checks, notified, true
		}
	}
	return checks, 0, false
}

// duringExecution reports whether an execution was waiting at job age at.
func duringExecution(execs []executionChecks, at time.Duration) bool {
	for _, e := range execs {
		if at > e.start && at <= e.deadline {
			return true
		}
	}
	return false
}

// detectFailure returns when the fallback checks of the executions see a
// job that failed at age at.
func detectFailure(execs []executionChecks, at time.Duration) (seen time.Duration, ok bool) {
	for _, e := range execs {
		for _, c := range e.checks {
			if c >= at {
				return c, true
			}
		}
	}
	return 0, false
}

// firstPlannedCheck is the first fallback check the schedule plans at or
// after job age at, whether or not an execution is running then.
func firstPlannedCheck(sc Scenario, at time.Duration) time.Duration {
	s := pollschedule.New(sc.Model, sc.VideoSeconds, 0)
	c := s.NextFallbackCheck(0)
	for c < at {
		c = s.NextFallbackCheck(c)
	}
	return c
}

func meanP95(ds []time.Duration) (mean, p95 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds)), ds[(len(ds)*95)/100]
}

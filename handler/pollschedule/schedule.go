// Package pollschedule decides when the workflow checks a Bedrock job. The
// schedule is a pure function of checkpointed values (the model, the video
// length, how many checks ran and the job's age as the sum of scheduled
// delays) and never reads a clock, so a replayed execution makes exactly the
// same decisions as the first run.
//
// The shape: wait until shortly before the model usually finishes, then
// check at short intervals through the window in which most jobs complete,
// then back off in proportion to how overdue the job is, and never schedule
// a check past the execution's budget.
package pollschedule

import (
	"math"
	"time"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// Profile is what the schedule assumes about a job's generation time.
type Profile struct {
	// Expected is the typical (median) generation time.
	Expected time.Duration
	// Spread is the relative half-width of the window in which most jobs
	// finish: checks start at Expected×(1−Spread) and run at the fast
	// interval until Expected×(1+Spread).
	Spread float64
}

// ProfileFor returns the profile of a videoSeconds-long video on model,
// from the generation times of the model catalogue (package videomodels,
// which cites its sources). Unknown models get the conservative profile of
// Nova Reel 1.1.
func ProfileFor(model string, videoSeconds int) Profile {
	m, ok := videomodels.Lookup(model)
	if !ok {
		m, _ = videomodels.Lookup(videomodels.NovaReelV11)
	}
	g := m.Generation
	return Profile{Expected: g.ExpectedGeneration(videoSeconds), Spread: g.SpreadFor(videoSeconds)}
}

// Tuning constants of the schedule.
const (
	// MinInterval is the shortest delay between checks: a durable wait is
	// whole seconds, and shorter polling buys little for jobs that take
	// minutes.
	MinInterval = 5 * time.Second
	// MaxInterval caps the backoff.
	MaxInterval = 60 * time.Second
	// fastIntervalDivisor sets the fast interval to Expected/20 (at least
	// MinInterval): the mean detection delay is about half of it.
	fastIntervalDivisor = 20
	// maxFastInterval keeps long jobs from being checked too rarely inside
	// their likely window.
	maxFastInterval = 30 * time.Second
	// overdueGrowth: past the window, the interval grows by this fraction of
	// the time the job has been overdue.
	overdueGrowth = 0.25
	// MaxChecks bounds the number of checks of one job in one execution.
	MaxChecks = 200
)

// Schedule is the poll plan for one job in one execution.
type Schedule struct {
	Profile Profile
	// Deadline is the latest job age at which a check may run: the job's
	// age when polling began plus the execution budget left then.
	Deadline time.Duration
}

// New returns the schedule of a videoSeconds-long video on model whose
// checks must all happen by the job age deadline.
func New(model string, videoSeconds int, deadline time.Duration) Schedule {
	return Schedule{Profile: ProfileFor(model, videoSeconds), Deadline: deadline}
}

// FirstCheckAge is the job age at which checking starts.
func (s Schedule) FirstCheckAge() time.Duration {
	return scale(s.Profile.Expected, 1-s.Profile.Spread)
}

// FastUntil is the job age at which the fast interval ends.
func (s Schedule) FastUntil() time.Duration {
	return scale(s.Profile.Expected, 1+s.Profile.Spread)
}

// FastInterval is the interval between checks inside the likely window.
func (s Schedule) FastInterval() time.Duration {
	return min(max(s.Profile.Expected/fastIntervalDivisor, MinInterval), maxFastInterval).Round(time.Second)
}

// First returns how long to wait, from job age age, before the first check:
// zero (check at once) when the job is already old enough or the budget is
// spent; never past the deadline.
func (s Schedule) First(age time.Duration) time.Duration {
	d := s.FirstCheckAge() - age
	d = min(d, s.Deadline-age)
	if d < time.Second {
		return 0
	}
	return ceilSeconds(d)
}

// Next returns the delay after check number attempt (1-based), made at job
// age age, before the next check, and false when no further check fits:
// the budget is spent or MaxChecks were made. The last check is pulled in
// to the deadline rather than skipped.
func (s Schedule) Next(attempt int, age time.Duration) (time.Duration, bool) {
	if attempt >= MaxChecks {
		return 0, false
	}
	left := s.Deadline - age
	if left < time.Second {
		return 0, false
	}
	return ceilSeconds(min(s.interval(age), left)), true
}

// interval is the unclamped delay after a check at job age age.
func (s Schedule) interval(age time.Duration) time.Duration {
	fast := s.FastInterval()
	until := s.FastUntil()
	if age < until {
		return fast
	}
	return min(fast+scale(age-until, overdueGrowth), MaxInterval)
}

// Budget is the part of a durable execution timeout the workflow may spend
// waiting: the timeout minus SafetyMargin.
func Budget(executionTimeout time.Duration) time.Duration {
	return executionTimeout - SafetyMargin(executionTimeout)
}

// SafetyMargin is kept free at the end of an execution for what follows the
// last check (writing result.json, finishing the batch, the final
// checkpoint) and for time the schedule cannot see (invocation start-up and
// replay on every resume, the checks themselves): a tenth of the timeout,
// between 5 and 90 seconds.
func SafetyMargin(executionTimeout time.Duration) time.Duration {
	return min(max(executionTimeout/10, 5*time.Second), 90*time.Second)
}

func scale(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

// ceilSeconds rounds d up to whole seconds, the granularity of durable
// waits.
func ceilSeconds(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}

// Fallback tuning: with event-driven completion the notification reports a
// finished video, and checks are only the safety net that finds failed
// jobs (which write no video), lost events and stale callbacks.
const (
	// MinFallbackInterval is the shortest time between fallback checks.
	MinFallbackInterval = 60 * time.Second
	// MaxFallbackInterval caps it, bounding how late a failed job is
	// found once it is overdue: one durable execution timeout at most
	// (config.MaxExecutionTimeout), so a job that outlasts executions is
	// checked about once per delivery.
	MaxFallbackInterval = 15 * time.Minute
)

// NextFallbackCheck returns the job age of the first fallback check after
// job age age. The fallback checks are planned by job age alone, across
// executions: the first at the end of the window in which most jobs
// finish (FastUntil, at least MinFallbackInterval), then each at twice the
// previous one's age, MinFallbackInterval–MaxFallbackInterval apart. So a
// job that finishes within twice its expected generation time meets at
// most one check before its notification (two for jobs longer than
// MaxFallbackInterval), and a failed job is found at the first check after
// it failed. The caller
// checks only at planned ages within its Deadline.
func (s Schedule) NextFallbackCheck(age time.Duration) time.Duration {
	next := ceilSeconds(max(s.FastUntil(), MinFallbackInterval))
	for next <= age {
		next += min(max(next, MinFallbackInterval), MaxFallbackInterval)
	}
	return next
}

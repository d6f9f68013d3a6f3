// Package admission decides how a video job waits for Bedrock capacity.
//
// Bedrock runs at most the account's quota of asynchronous jobs at once
// and answers any further StartAsyncInvoke with
// ServiceQuotaExceededException (or ThrottlingException when requests come
// too fast). Neither is a failure of the job: the workflow waits for a free
// slot with durable waits, which cost nothing, for as long as its execution
// can still fit a start, and defers the record to the next delivery when it
// cannot.
//
// The policy is a pure function of its inputs (the round, a uniform random
// number drawn inside a checkpointed step, the checkpointed deadline and the
// time read in that step), so replay reaches the same decisions.
package admission

import (
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// Policy paces the start attempts of one record.
type Policy struct {
	// BaseDelay is the first backoff ceiling; it doubles every round.
	BaseDelay time.Duration
	// MaxDelay caps the backoff ceiling.
	MaxDelay time.Duration
	// Reserve is the time a start needs before the deadline: the admission
	// check, StartAsyncInvoke and the job.json write, a few seconds in all.
	Reserve time.Duration
}

// Default is the policy the handler runs with: full jitter over 5 s
// doubling to 60 s. With w records waiting, a freed slot is found after
// about 30 s ÷ w on average, and no two records retry in lockstep.
var Default = Policy{BaseDelay: 5 * time.Second, MaxDelay: 60 * time.Second, Reserve: 10 * time.Second}

// Backoff is the wait after the round-th refused attempt (1-based): full
// jitter, u × min(MaxDelay, BaseDelay × 2^(round−1)) for u uniform in
// [0, 1), in whole seconds (durable waits are counted in seconds) and at
// least durable.MinWait.
func (p Policy) Backoff(round int, u float64) time.Duration {
	ceiling := p.MaxDelay
	if round < 1 {
		round = 1
	}
	if shift := round - 1; shift < 30 {
		ceiling = min(p.MaxDelay, p.BaseDelay<<shift)
	}
	u = min(max(u, 0), 1)
	d := time.Duration(u * float64(ceiling)).Truncate(time.Second)
	return max(d, durable.MinWait)
}

// Next decides what follows a refused start at now: wait delay and try
// again (ok), or defer the record to its next delivery (!ok) because the
// execution's deadline leaves no room for another start. A backoff that
// would end past the last moment a start still fits is shortened to end
// at that moment, so the budget is used to its end.
func (p Policy) Next(round int, u float64, now, deadline time.Time) (delay time.Duration, ok bool) {
	left := deadline.Sub(now) - p.Reserve
	if left < durable.MinWait {
		return 0, false
	}
	return min(p.Backoff(round, u), left.Truncate(time.Second)), true
}

package awsfake

import (
	"encoding/json"
	"time"
)

// QuotaExceededMessage is the message of the fake's
// ServiceQuotaExceededException for a start beyond the concurrent-job
// quota.
const QuotaExceededMessage = "The number of concurrent asynchronous invocations for this model has reached your account's quota. Try again after a job finishes."

// ThrottledMessage is the message of the fake's ThrottlingException during
// a throttling window.
const ThrottledMessage = "Too many requests, please wait before trying again."

// capacity is the quota mode of the Bedrock fake: jobs that finish by the
// fake's clock (SetClock), a limit on how many of a model's jobs may be InProgress at
// once, and windows in which every start is throttled. All fields are
// guarded by Bedrock.mu.
type capacity struct {
	// quota is the concurrent-job quota per model (0: no quota).
	quota int
	// generation gives a new job's generation time (nil: jobs follow
	// their Lifecycle).
	generation func(modelID string, input json.RawMessage) time.Duration
	// doneAt is when each timed job completes, by ARN.
	doneAt map[string]time.Time
	// throttled are [from, to) windows of the fake's clock.
	throttled [][2]time.Time

	quotaRefusals, throttleRefusals int
	peak                            map[string]int
}

// SetConcurrentJobQuota turns on the quota mode: at most n jobs of a model
// may be InProgress at once; a start beyond that (with a client request
// token no job holds yet) is answered with ServiceQuotaExceededException,
// as Bedrock does, and creates nothing.
func (b *Bedrock) SetConcurrentJobQuota(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capacity.quota = n
}

// SetGenerationTime makes new jobs complete by the fake's clock: a job
// stays InProgress until its submit time plus f's answer, whatever the
// number of GetAsyncInvoke calls.
func (b *Bedrock) SetGenerationTime(f func(modelID string, input json.RawMessage) time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capacity.generation = f
}

// ThrottleStarts answers every StartAsyncInvoke from from until to (by the
// fake's clock) with ThrottlingException.
func (b *Bedrock) ThrottleStarts(from, to time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capacity.throttled = append(b.capacity.throttled, [2]time.Time{from, to})
}

// CapacityRefusals counts the starts refused for the quota and for
// throttling.
func (b *Bedrock) CapacityRefusals() (quota, throttling int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.capacity.quotaRefusals, b.capacity.throttleRefusals
}

// PeakInProgress is the largest number of model's jobs that were
// InProgress at once.
func (b *Bedrock) PeakInProgress(model string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.capacity.peak[model]
}

// settleTimed completes the timed jobs whose generation time has passed;
// b.mu must be held. It runs before every request, so GetAsyncInvoke,
// ListAsyncInvokes and the quota see the same state.
func (b *Bedrock) settleTimed() {
	now := b.now()
	for arn, at := range b.capacity.doneAt {
		if job := b.jobs[arn]; job.Status == StatusInProgress && !now.Before(at) {
			b.finishLocked(job, StatusCompleted, "")
			job.EndTime = at
		}
		if b.jobs[arn].Status != StatusInProgress {
			delete(b.capacity.doneAt, arn)
		}
	}
}

// refuseStart returns the capacity fault a new job of model meets, if
// any; b.mu must be held.
func (b *Bedrock) refuseStart(model string) (Fault, bool) {
	now := b.now()
	for _, w := range b.capacity.throttled {
		if !now.Before(w[0]) && now.Before(w[1]) {
			b.capacity.throttleRefusals++
			return BedrockFault("ThrottlingException", ThrottledMessage), true
		}
	}
	if b.capacity.quota > 0 && b.inProgress(model) >= b.capacity.quota {
		b.capacity.quotaRefusals++
		return BedrockFault("ServiceQuotaExceededException", QuotaExceededMessage), true
	}
	return Fault{}, false
}

// created registers a new job with the quota mode; b.mu must be held.
func (b *Bedrock) created(job *Job) {
	if b.capacity.generation != nil {
		if b.capacity.doneAt == nil {
			b.capacity.doneAt = map[string]time.Time{}
		}
		b.capacity.doneAt[job.InvocationArn] = job.SubmitTime.Add(b.capacity.generation(job.ModelID, job.ModelInput))
		job.lifecycle = Lifecycle{InProgressChecks: -1}
	}
	if b.capacity.peak == nil {
		b.capacity.peak = map[string]int{}
	}
	b.capacity.peak[job.ModelID] = max(b.capacity.peak[job.ModelID], b.inProgress(job.ModelID))
}

func (b *Bedrock) inProgress(model string) int {
	n := 0
	for _, job := range b.jobs {
		if job.ModelID == model && job.Status == StatusInProgress {
			n++
		}
	}
	return n
}

package durable

import (
	"math"
	"math/rand/v2"
	"time"
)

// RetryDecision is a retry strategy's answer for one failed attempt.
type RetryDecision struct {
	// Retry asks for another attempt after Delay.
	Retry bool
	// Delay before the next attempt; it is rounded up to whole seconds and
	// at least one second, the service's granularity.
	Delay time.Duration
}

// RetryStrategy decides, after attempt number attempt (1-based) failed with
// err, whether and when to try again. The decision is checkpointed, so a
// strategy may use randomness.
type RetryStrategy func(err error, attempt int) RetryDecision

// Jitter spreads retry delays so that many failing executions do not retry
// in lockstep.
type Jitter int

// Jitter modes.
const (
	// JitterFull picks a delay uniformly between 0 and the computed delay.
	JitterFull Jitter = iota
	// JitterNone uses the computed delay as is.
	JitterNone
	// JitterHalf picks a delay between half the computed delay and all of it.
	JitterHalf
)

// RetryPolicy describes exponential backoff. Zero fields take the defaults
// of the official SDKs' policy: 3 attempts, 5 s initial delay, 5 min cap,
// rate 2, full jitter. Retryable, when set, limits retries to the errors it
// accepts.
type RetryPolicy struct {
	MaxAttempts  int
	InitialDelay time.Duration
	MaxDelay     time.Duration
	BackoffRate  float64
	Jitter       Jitter
	Retryable    func(error) bool
}

// DefaultRetryPolicy is used by steps without a retry option: 6 attempts,
// 5 s initial delay doubling to at most 60 s, full jitter.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 6, InitialDelay: 5 * time.Second, MaxDelay: 60 * time.Second, BackoffRate: 2, Jitter: JitterFull}

// Strategy returns the RetryStrategy the policy describes.
func (p RetryPolicy) Strategy() RetryStrategy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = 5 * time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Minute
	}
	if p.BackoffRate <= 0 {
		p.BackoffRate = 2
	}
	return func(err error, attempt int) RetryDecision {
		if attempt >= p.MaxAttempts {
			return RetryDecision{}
		}
		if p.Retryable != nil && !p.Retryable(err) {
			return RetryDecision{}
		}
		return RetryDecision{Retry: true, Delay: backoff(p.InitialDelay, p.MaxDelay, p.BackoffRate, p.Jitter, attempt)}
	}
}

// NoRetry never retries: the first failure is final.
func NoRetry(error, int) RetryDecision { return RetryDecision{} }

// backoff computes min(initial × rate^(n−1), max) with jitter applied, for
// the n-th consecutive delay (1-based).
func backoff(initial, maxDelay time.Duration, rate float64, jitter Jitter, n int) time.Duration {
	d := float64(initial) * math.Pow(rate, float64(n-1))
	if d > float64(maxDelay) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(maxDelay)
	}
	switch jitter {
	case JitterFull:
		d = rand.Float64() * d
	case JitterHalf:
		d = d/2 + rand.Float64()*d/2
	}
	return time.Duration(d)
}

// wholeSeconds rounds d up to whole seconds, at least one.
func wholeSeconds(d time.Duration) int32 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(s)
}

package durable

import (
	"errors"
	"testing"
	"time"
)

func TestRetryPolicyBacksOffAndStops(t *testing.T) {
	strategy := RetryPolicy{MaxAttempts: 4, InitialDelay: 2 * time.Second, MaxDelay: 10 * time.Second, BackoffRate: 3, Jitter: JitterNone}.Strategy()
	want := []RetryDecision{
		{Retry: true, Delay: 2 * time.Second},
		{Retry: true, Delay: 6 * time.Second},
		{Retry: true, Delay: 10 * time.Second}, // 18 s capped
		{},                                     // attempt 4 was the last
	}
	for i, w := range want {
		if got := strategy(errors.New("boom"), i+1); got != w {
			t.Errorf("attempt %d: got %+v, want %+v", i+1, got, w)
		}
	}
}

func TestRetryPolicyOnlyRetriesWhatRetryableAccepts(t *testing.T) {
	transient := errors.New("transient")
	strategy := RetryPolicy{MaxAttempts: 5, Retryable: func(err error) bool { return errors.Is(err, transient) }}.Strategy()
	if d := strategy(transient, 1); !d.Retry {
		t.Error("transient error was not retried")
	}
	if d := strategy(errors.New("permanent"), 1); d.Retry {
		t.Error("permanent error was retried")
	}
}

func TestFullJitterStaysWithinTheComputedDelay(t *testing.T) {
	for n := 1; n <= 6; n++ {
		for range 100 {
			d := backoff(5*time.Second, 60*time.Second, 2, JitterFull, n)
			limit := min(5*time.Second<<(n-1), 60*time.Second)
			if d < 0 || d > limit {
				t.Fatalf("attempt %d: delay %v outside [0, %v]", n, d, limit)
			}
		}
	}
}

func TestWholeSecondsRoundsUpToAtLeastOne(t *testing.T) {
	for d, want := range map[time.Duration]int32{0: 1, 300 * time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, time.Hour: 3600} {
		if got := wholeSeconds(d); got != want {
			t.Errorf("wholeSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

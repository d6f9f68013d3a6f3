package pollschedule

import (
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

// fallbackAges lists the planned fallback check ages up to limit.
func fallbackAges(s Schedule, limit time.Duration) []time.Duration {
	var ages []time.Duration
	for age := s.NextFallbackCheck(0); age <= limit; age = s.NextFallbackCheck(age) {
		ages = append(ages, age)
	}
	return ages
}

func TestFallbackChecksAreSparse(t *testing.T) {
	budget := Budget(900 * time.Second)
	tests := []struct {
		model   string
		seconds int
		want    []time.Duration
	}{
		// Nova Reel 6 s: the window ends at 112.5 s; ages double.
		{jobspec.NovaReelV11, 6, []time.Duration{113 * time.Second, 226 * time.Second, 452 * time.Second}},
		// Luma Ray2 5 s: the window ends at 304.5 s.
		{jobspec.LumaRay2, 5, []time.Duration{305 * time.Second, 610 * time.Second}},
		// A 2-minute Nova Reel video: no check in the first execution.
		{jobspec.NovaReelV11, 120, nil},
	}
	for _, tt := range tests {
		s := New(tt.model, tt.seconds, budget)
		got := fallbackAges(s, budget)
		if len(got) != len(tt.want) {
			t.Errorf("%s %d s: checks at %v, want %v", tt.model, tt.seconds, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s %d s: checks at %v, want %v", tt.model, tt.seconds, got, tt.want)
				break
			}
		}
		dense := 1
		for age := s.First(0); ; dense++ {
			d, ok := s.Next(dense, age)
			if !ok {
				break
			}
			age += d
		}
		if len(got) >= dense {
			t.Errorf("%s %d s: %d fallback checks, not sparser than the %d of pure polling", tt.model, tt.seconds, len(got), dense)
		}
	}
}

// TestFallbackCoversTwiceTheExpectedTime is the property the check target
// rests on: a job finishing by twice its expected generation time meets at
// most two fallback checks (one for the short videos) before its
// notification.
func TestFallbackCoversTwiceTheExpectedTime(t *testing.T) {
	for _, tt := range []struct {
		model   string
		seconds int
		most    int
	}{{jobspec.NovaReelV11, 6, 1}, {jobspec.NovaReelV11, 12, 1}, {jobspec.NovaReelV11, 120, 2}, {jobspec.LumaRay2, 5, 1}, {jobspec.LumaRay2, 9, 1}} {
		s := New(tt.model, tt.seconds, time.Hour)
		if got := fallbackAges(s, 2*s.Profile.Expected); len(got) > tt.most {
			t.Errorf("%s %d s: checks at %v before twice the expected %v, want at most %d", tt.model, tt.seconds, got, s.Profile.Expected, tt.most)
		}
	}
}

func TestFallbackIntervalsAreBounded(t *testing.T) {
	s := New(jobspec.NovaReelV11, 120, time.Hour)
	prev := s.NextFallbackCheck(0)
	for range 20 {
		next := s.NextFallbackCheck(prev)
		if d := next - prev; d < MinFallbackInterval || d > MaxFallbackInterval {
			t.Fatalf("checks at %v and %v: %v apart", prev, next, d)
		}
		prev = next
	}
	// Planned by age alone: an execution that starts between two checks
	// resumes the same plan.
	if got := s.NextFallbackCheck(s.NextFallbackCheck(0) + time.Second); got != s.NextFallbackCheck(s.NextFallbackCheck(0)) {
		t.Errorf("late start plans %v", got)
	}
}

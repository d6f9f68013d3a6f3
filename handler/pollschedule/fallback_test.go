package pollschedule

import (
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

// fallbackAges lists the job ages of the fallback checks of one execution
// that starts when the job is age0 old.
func fallbackAges(s Schedule, age0 time.Duration) []time.Duration {
	age := age0 + s.FallbackFirst(age0)
	ages := []time.Duration{age}
	for {
		d, ok := s.FallbackNext(len(ages), age)
		if !ok {
			return ages
		}
		age += d
		ages = append(ages, age)
	}
}

func TestFallbackChecksAreSparse(t *testing.T) {
	budget := Budget(900 * time.Second)
	tests := []struct {
		model   string
		seconds int
		want    []time.Duration
	}{
		// Nova Reel 6 s: window ends at 112.5 s; ages double to the cap.
		{jobspec.NovaReelV11, 6, []time.Duration{113 * time.Second, 226 * time.Second, 452 * time.Second, 752 * time.Second, budget}},
		// Luma Ray2 5 s: window ends at 304.5 s.
		{jobspec.LumaRay2, 5, []time.Duration{305 * time.Second, 605 * time.Second, budget}},
		// A 2-minute Nova Reel video outlasts the budget: one check at its
		// end, then the message is redelivered.
		{jobspec.NovaReelV11, 120, []time.Duration{budget}},
	}
	for _, tt := range tests {
		s := New(tt.model, tt.seconds, budget)
		got := fallbackAges(s, 0)
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
// rests on: a job finishing by twice its expected generation time is still
// running at no more than one fallback check.
func TestFallbackCoversTwiceTheExpectedTime(t *testing.T) {
	for _, tt := range []struct {
		model   string
		seconds int
	}{{jobspec.NovaReelV11, 6}, {jobspec.NovaReelV11, 12}, {jobspec.LumaRay2, 5}, {jobspec.LumaRay2, 9}} {
		s := New(tt.model, tt.seconds, time.Hour)
		ages := fallbackAges(s, 0)
		if len(ages) < 2 || ages[1] < 2*s.Profile.Expected {
			t.Errorf("%s %d s: second fallback check at %v, before twice the expected %v", tt.model, tt.seconds, ages, s.Profile.Expected)
		}
	}
}

func TestFallbackRespectsTheDeadlineAndLateStarts(t *testing.T) {
	s := New(jobspec.LumaRay2, 5, 400*time.Second)
	// A redelivered execution attaches when the job is already 350 s
	// old: the first check waits at least MinFallbackInterval, pulled in
	// to the deadline.
	if d := s.FallbackFirst(350 * time.Second); d != 50*time.Second {
		t.Errorf("first wait %v, want 50s (to the deadline)", d)
	}
	if d := s.FallbackFirst(399*time.Second + 500*time.Millisecond); d != 0 {
		t.Errorf("first wait %v with the budget spent, want 0", d)
	}
	if _, ok := s.FallbackNext(1, 400*time.Second); ok {
		t.Error("a check was planned past the deadline")
	}
	if _, ok := s.FallbackNext(MaxChecks, 0); ok {
		t.Error("a check was planned past MaxChecks")
	}
}

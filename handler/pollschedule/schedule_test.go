package pollschedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

func TestProfiles(t *testing.T) {
	tests := []struct {
		model    string
		seconds  int
		expected time.Duration
	}{
		{jobspec.NovaReelV11, 6, 90 * time.Second},
		{jobspec.NovaReelV10, 6, 90 * time.Second},
		{jobspec.NovaReelV11, 120, 930 * time.Second},
		{jobspec.NovaReelV11, 12, 90*time.Second + 840*time.Second*6/114},
		{jobspec.NovaReelV11, 60, 90*time.Second + 840*time.Second*54/114},
		{jobspec.LumaRay2, 5, 210 * time.Second},
		{jobspec.LumaRay2, 9, 378 * time.Second},
	}
	for _, tt := range tests {
		got := ProfileFor(tt.model, tt.seconds).Expected
		if d := got - tt.expected; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s %d s: expected %v, want %v", tt.model, tt.seconds, got, tt.expected)
		}
	}
}

func TestNovaShortSchedule(t *testing.T) {
	s := New(jobspec.NovaReelV11, 6, Budget(900*time.Second))
	if got := s.First(0); got != 68*time.Second {
		t.Errorf("first check after %v, want 68s (just before the 90 s median)", got)
	}
	if got := s.FastInterval(); got != 5*time.Second {
		t.Errorf("fast interval %v, want 5s", got)
	}
	// Inside the likely window the checks come every 5 s; after it the
	// interval grows; it never exceeds MaxInterval.
	age := s.First(0)
	var delays []time.Duration
	for attempt := 1; attempt <= 20; attempt++ {
		d, ok := s.Next(attempt, age)
		if !ok {
			t.Fatalf("schedule ended at check %d, age %v", attempt, age)
		}
		delays = append(delays, d)
		age += d
	}
	want := "[5s 5s 5s 5s 5s 5s 5s 5s 5s 6s 7s 9s 11s 14s 17s 22s 27s 34s 42s 53s]"
	if got := fmt.Sprint(delays); got != want {
		t.Errorf("delays %s\n want %s", got, want)
	}
}

func TestReattachedJobIsCheckedAtOnce(t *testing.T) {
	s := New(jobspec.NovaReelV11, 120, 900*time.Second+Budget(900*time.Second))
	if got := s.First(900 * time.Second); got != 0 {
		t.Errorf("job 900 s old, expected at 930 s: first check after %v, want at once", got)
	}
	if got := s.First(0); got != 791*time.Second {
		t.Errorf("fresh 2-minute job: first check after %v, want 791s", got)
	}
}

func TestScheduleStaysInsideTheBudget(t *testing.T) {
	for _, model := range jobspec.KnownModels() {
		for _, seconds := range []int{5, 6, 9, 12, 60, 120} {
			for _, budget := range []time.Duration{0, 500 * time.Millisecond, 20 * time.Second, 100 * time.Second, Budget(900 * time.Second)} {
				for _, age0 := range []time.Duration{0, 45 * time.Second, 2000 * time.Second} {
					deadline := age0 + budget
					s := New(model, seconds, deadline)
					first := s.First(age0)
					if first < 0 || first%time.Second != 0 {
						t.Fatalf("%s/%d/%v/%v: first delay %v", model, seconds, budget, age0, first)
					}
					age := age0 + first
					if first > 0 && age > deadline {
						t.Fatalf("%s/%d/%v/%v: first check at %v past deadline %v", model, seconds, budget, age0, age, deadline)
					}
					checks := 1
					for {
						d, ok := s.Next(checks, age)
						if !ok {
							break
						}
						if d < time.Second || d > MaxInterval || d%time.Second != 0 {
							t.Fatalf("%s/%d: delay %v after check %d", model, seconds, d, checks)
						}
						age += d
						checks++
						if age > deadline+time.Second {
							t.Fatalf("%s/%d/%v/%v: check at age %v past deadline %v", model, seconds, budget, age0, age, deadline)
						}
					}
					if checks > MaxChecks {
						t.Fatalf("%d checks", checks)
					}
					if budget >= time.Minute && deadline-age >= time.Second {
						t.Errorf("%s/%d/%v: schedule stopped at age %v, %v before the deadline", model, seconds, budget, age, deadline-age)
					}
				}
			}
		}
	}
}

func TestNextIsAPureFunction(t *testing.T) {
	s := New(jobspec.LumaRay2, 9, 700*time.Second)
	for attempt, age := 1, 100*time.Second; attempt < 30; attempt, age = attempt+1, age+17*time.Second {
		d1, ok1 := s.Next(attempt, age)
		d2, ok2 := s.Next(attempt, age)
		if d1 != d2 || ok1 != ok2 {
			t.Fatalf("Next(%d, %v) answered %v,%v then %v,%v", attempt, age, d1, ok1, d2, ok2)
		}
	}
}

func TestBudget(t *testing.T) {
	tests := []struct{ timeout, budget time.Duration }{
		{900 * time.Second, 810 * time.Second},
		{300 * time.Second, 270 * time.Second},
		{30 * time.Second, 25 * time.Second},
		{3600 * time.Second, 3510 * time.Second},
	}
	for _, tt := range tests {
		if got := Budget(tt.timeout); got != tt.budget {
			t.Errorf("Budget(%v) = %v, want %v", tt.timeout, got, tt.budget)
		}
	}
}

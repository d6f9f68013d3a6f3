package admission

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	p := Default
	for _, tt := range []struct {
		round int
		u     float64
		want  time.Duration
	}{
		{1, 0.99, 4 * time.Second},   // ceiling 5 s
		{1, 0, time.Second},          // never below the minimum wait
		{2, 0.5, 5 * time.Second},    // ceiling 10 s
		{4, 0.999, 39 * time.Second}, // ceiling 40 s
		{5, 0.5, 30 * time.Second},   // ceiling capped at 60 s
		{1000, 0.5, 30 * time.Second},
		{0, 0.5, 2 * time.Second},
	} {
		if got := p.Backoff(tt.round, tt.u); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tt.round, tt.u, got, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		left     time.Duration
		round    int
		wantWait time.Duration
		wantOK   bool
	}{
		{"plenty of time", 10 * time.Minute, 5, 30 * time.Second, true},
		{"backoff shortened to the last moment a start fits", 25 * time.Second, 5, 15 * time.Second, true},
		{"no room for another start", 10 * time.Second, 1, 0, false},
		{"deadline passed", -time.Minute, 1, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Default.Next(tt.round, 0.5, now, now.Add(tt.left))
			if d != tt.wantWait || ok != tt.wantOK {
				t.Errorf("Next = %v, %v; want %v, %v", d, ok, tt.wantWait, tt.wantOK)
			}
		})
	}
}

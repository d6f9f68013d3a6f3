// Package simulation replays the handler's policies — the poll schedule,
// admission to Bedrock's concurrent-job quota, execution budgets and SQS
// redelivery — over many simulated jobs, with a seeded generator so every
// number is exact and repeatable. Only tests and benchmarks import it; the
// numbers it produces are recorded in handler/README.md.
package simulation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/bedrockvideo/pipeline/handler/jobspec"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// Distribution draws generation times.
type Distribution interface {
	Sample(r *rand.Rand) time.Duration
	String() string
}

// LogNormal is a log-normal distribution given by its median and the
// standard deviation of its logarithm.
type LogNormal struct {
	Median time.Duration
	Sigma  float64
}

// Sample draws one value.
func (d LogNormal) Sample(r *rand.Rand) time.Duration {
	return time.Duration(float64(d.Median) * math.Exp(d.Sigma*r.NormFloat64()))
}

// String describes the distribution.
func (d LogNormal) String() string {
	return fmt.Sprintf("log-normal, median %v, σ %.2f", d.Median, d.Sigma)
}

// Uniform is a uniform distribution on [Min, Max].
type Uniform struct{ Min, Max time.Duration }

// Sample draws one value.
func (d Uniform) Sample(r *rand.Rand) time.Duration {
	return d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
}

// String describes the distribution.
func (d Uniform) String() string { return fmt.Sprintf("uniform %v–%v", d.Min, d.Max) }

// Mixture draws from Slow with probability SlowShare, else from Main: a
// main population plus a tail of jobs delayed by service load.
type Mixture struct {
	Main, Slow Distribution
	SlowShare  float64
}

// Sample draws one value.
func (d Mixture) Sample(r *rand.Rand) time.Duration {
	if r.Float64() < d.SlowShare {
		return d.Slow.Sample(r)
	}
	return d.Main.Sample(r)
}

// String describes the distribution.
func (d Mixture) String() string {
	return fmt.Sprintf("%v; %.0f%% %v", d.Main, 100*d.SlowShare, d.Slow)
}

// Scenario is a kind of job and how long its generation takes.
type Scenario struct {
	Name         string
	Model        string
	VideoSeconds int
	Generation   Distribution
}

// Scenarios are the job kinds the README reports, with generation times
// taken from the issue and the model documentation: a 6-second Nova Reel
// video takes about 90 s (a 3% tail twice as slow models load spikes); a
// 2-minute multi-shot video 14–17 minutes; a 5-second Luma Ray2 video 2–5
// minutes.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name: "Nova Reel 6 s", Model: jobspec.NovaReelV11, VideoSeconds: 6,
			Generation: Mixture{
				Main:      LogNormal{Median: 90 * time.Second, Sigma: 0.15},
				Slow:      LogNormal{Median: 180 * time.Second, Sigma: 0.25},
				SlowShare: 0.03,
			},
		},
		{
			Name: "Nova Reel multi-shot 120 s", Model: jobspec.NovaReelV11, VideoSeconds: 120,
			Generation: Uniform{Min: 14 * time.Minute, Max: 17 * time.Minute},
		},
		{
			Name: "Luma Ray2 5 s", Model: jobspec.LumaRay2, VideoSeconds: 5,
			Generation: Uniform{Min: 2 * time.Minute, Max: 5 * time.Minute},
		},
	}
}

// Poller names a schedule and lists the job ages at which one execution
// checks a job that never finishes: the execution starts when the job is
// age0 old and may wait for budget.
type Poller struct {
	Name   string
	Checks func(sc Scenario, age0, budget time.Duration) []time.Duration
}

// Ours is the handler's schedule (package pollschedule).
func Ours() Poller {
	return Poller{Name: "adaptive (this handler)", Checks: func(sc Scenario, age0, budget time.Duration) []time.Duration {
		s := pollschedule.New(sc.Model, sc.VideoSeconds, age0+budget)
		age := age0 + s.First(age0)
		ages := []time.Duration{age}
		for {
			d, ok := s.Next(len(ages), age)
			if !ok {
				return ages
			}
			age += d
			ages = append(ages, age)
		}
	}}
}

// Original is the pattern this handler replaces: check at once, then after
// 30 s, doubling to a 60 s cap, at most 10 checks.
func Original() Poller {
	return Poller{Name: "original (0 s, 30 s doubling to 60 s, ≤10 checks)", Checks: func(_ Scenario, age0, budget time.Duration) []time.Duration {
		var ages []time.Duration
		age, delay := age0, 30*time.Second
		for len(ages) < 10 && age <= age0+budget {
			ages = append(ages, age)
			age += delay
			delay = min(2*delay, 60*time.Second)
		}
		return ages
	}}
}

// Deliveries describes how SQS hands a message to executions: up to
// MaxReceives executions, each starting Visibility after the previous one
// (a record reported as failed becomes visible again when its visibility
// timeout ends), each with Budget to wait. The defaults of the deployment
// are 100 receives, 900 s and Budget(900 s).
type Deliveries struct {
	MaxReceives int
	Visibility  time.Duration
	Budget      time.Duration
}

// DefaultDeliveries are the deployment defaults.
func DefaultDeliveries() Deliveries {
	return Deliveries{MaxReceives: 100, Visibility: 900 * time.Second, Budget: pollschedule.Budget(900 * time.Second)}
}

// SimResult summarizes one poller on one scenario.
type SimResult struct {
	Scenario string
	Poller   string
	Jobs     int
	// Detected is the share of jobs seen complete before the message ran
	// out of receives.
	Detected float64
	// FirstExecution is the share of jobs seen complete by the execution
	// that started them.
	FirstExecution float64
	// MeanDelay and P95Delay measure, over detected jobs, the time from the
	// job finishing to the check that sees it.
	MeanDelay, P95Delay time.Duration
	// MeanChecks counts GetAsyncInvoke calls per job over all executions.
	MeanChecks float64
	// MaxChecks is the most checks any job needed.
	MaxChecks int
}

// Simulate runs jobs jobs of scenario sc against poller p under deliveries
// d, drawing generation times from a PCG generator seeded with seed, so the
// result is the same on every run.
func Simulate(sc Scenario, p Poller, d Deliveries, jobs int, seed uint64) SimResult {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	executions := make([][]time.Duration, d.MaxReceives)
	for k := range executions {
		executions[k] = p.Checks(sc, time.Duration(k)*d.Visibility, d.Budget)
	}
	res := SimResult{Scenario: sc.Name, Poller: p.Name, Jobs: jobs}
	delays := make([]time.Duration, 0, jobs)
	var totalChecks, firstExecution int
	for range jobs {
		done := sc.Generation.Sample(r)
		checks := 0
		for k, ages := range executions {
			i, _ := slices.BinarySearch(ages, done)
			if i == len(ages) {
				checks += len(ages)
				continue
			}
			checks += i + 1
			delays = append(delays, ages[i]-done)
			if k == 0 {
				firstExecution++
			}
			break
		}
		totalChecks += checks
		res.MaxChecks = max(res.MaxChecks, checks)
	}
	res.Detected = float64(len(delays)) / float64(jobs)
	res.FirstExecution = float64(firstExecution) / float64(jobs)
	res.MeanChecks = float64(totalChecks) / float64(jobs)
	if len(delays) > 0 {
		var sum time.Duration
		for _, d := range delays {
			sum += d
		}
		res.MeanDelay = sum / time.Duration(len(delays))
		slices.Sort(delays)
		res.P95Delay = delays[int(math.Ceil(0.95*float64(len(delays))))-1]
	}
	return res
}

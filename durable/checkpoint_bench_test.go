package durable_test

import (
	"context"
	"testing"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// BenchmarkStepCheckpointRoundTrip runs live steps against the in-memory
// service; each step is one START plus one synchronous SUCCEED checkpoint.
// The metric ns/step is the cost of one step's checkpoint round trip.
func BenchmarkStepCheckpointRoundTrip(b *testing.B) {
	const steps = 100
	r := durabletest.NewRunner(countSteps)
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Run(context.Background(), steps)
		if err != nil || res.Status != durabletest.StatusSucceeded {
			b.Fatalf("run: %v %v", err, res.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}

// BenchmarkMap100Items runs a Map of 100 items, each one step, ten at a time.
func BenchmarkMap100Items(b *testing.B) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	r := durabletest.NewRunner(func(ctx durable.Context, in []int) (int, error) {
		res, err := durable.Map(ctx, "items", in, func(c durable.Context, item, _ int) (int, error) {
			return durable.Step(c, "double", func(durable.StepContext) (int, error) { return 2 * item, nil })
		}, durable.WithMaxConcurrency(10))
		if err != nil {
			return 0, err
		}
		return res.SuccessCount(), nil
	})
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Run(context.Background(), items)
		if err != nil || res.Value != 100 {
			b.Fatalf("run: %v, %d items succeeded", err, res.Value)
		}
	}
}

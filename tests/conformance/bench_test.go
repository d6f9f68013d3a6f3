package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// replayInvocation returns the duration of the invocation that replayed
// the bench-replay steps: the second one, from its InvocationCompleted
// event. The emulator's clock runs with real time during an invocation, so
// the difference of its timestamps is the wall time the service saw (at
// millisecond resolution), measured from outside the function process.
func replayInvocation(res *durabletest.Result[json.RawMessage]) (time.Duration, error) {
	var n int
	for _, ev := range res.History {
		if ev.EventType != durabletest.EventInvocationCompleted {
			continue
		}
		n++
		if n == 2 {
			d := ev.InvocationCompletedDetails
			if d.Error != nil {
				return 0, fmt.Errorf("the replay invocation failed: %+v", d.Error.Payload)
			}
			return d.EndTimestamp.Sub(d.StartTimestamp), nil
		}
	}
	return 0, fmt.Errorf("the execution had %d invocations, want 2", n)
}

// TestBenchReplayCase checks the bench-replay-<N> case itself: N steps
// returning their index, one wait, the count as result, in two
// invocations.
func TestBenchReplayCase(t *testing.T) {
	t.Parallel()
	const n = 50
	res, err := runCase(t, "bench-replay-"+strconv.Itoa(n), []byte("null"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || res.RawResult != strconv.Itoa(n) {
		t.Fatalf("status %s, result %q; want SUCCEEDED, %d\n%s\n%s", res.Status, res.RawResult, n, res.Tree(), res.Logs)
	}
	if res.Invocations != 2 {
		t.Errorf("%d invocations, want 2 (run the steps and suspend, then replay and finish)", res.Invocations)
	}
	steps := res.Events(durabletest.EventStepSucceeded)
	if len(steps) != n {
		t.Fatalf("%d StepSucceeded events, want %d", len(steps), n)
	}
	for i, ev := range steps {
		if got := ev.StepSucceededDetails.Result.Payload; got != strconv.Itoa(i) {
			t.Errorf("step %d recorded %q, want %d", i, got, i)
		}
	}
	if waits := res.Events(durabletest.EventWaitSucceeded); len(waits) != 1 {
		t.Errorf("%d WaitSucceeded events, want 1", len(waits))
	}
	if _, err := replayInvocation(res); err != nil {
		t.Error(err)
	}
}

// BenchmarkReplay runs bench-replay-<N> (N from $BENCH_REPLAY_N, default
// 1000) as a process through the emulator and reports the replay
// invocation's duration as replay-ms/op. $BENCH_REPLAY_BINARY runs another
// durable function binary that answers CASE=bench-replay-<N> instead, so
// runtimes can be compared on the same emulator.
func BenchmarkReplay(b *testing.B) {
	n := 1000
	if v := os.Getenv("BENCH_REPLAY_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("BENCH_REPLAY_N=%q: want a non-negative integer", v)
		}
	}
	binary := handlerBinary
	if v := os.Getenv("BENCH_REPLAY_BINARY"); v != "" {
		binary = v
	}
	id := "bench-replay-" + strconv.Itoa(n)
	var total time.Duration
	for b.Loop() {
		runner := durabletest.NewProcessRunner[json.RawMessage, json.RawMessage](binary, durabletest.WithEnv("CASE="+id))
		res, err := runner.Run(b.Context(), []byte("null"))
		if err != nil {
			b.Fatal(err)
		}
		if res.Status != durabletest.StatusSucceeded || res.RawResult != strconv.Itoa(n) {
			b.Fatalf("status %s, result %q; want SUCCEEDED, %d", res.Status, res.RawResult, n)
		}
		d, err := replayInvocation(res)
		if err != nil {
			b.Fatal(err)
		}
		total += d
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "replay-ms/op")
}

package durable_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// quick returns a function that runs one step returning v (or failing with
// msg when v is "").
func quick(name, v, msg string) func(durable.Context) (string, error) {
	return func(ctx durable.Context) (string, error) {
		return durable.Step(ctx, name, func(durable.StepContext) (string, error) {
			if v == "" {
				return "", errors.New(msg)
			}
			return v, nil
		}, durable.WithRetry(durable.NoRetry))
	}
}

// slow returns a function that waits an hour, then returns v.
func slow(v string) func(durable.Context) (string, error) {
	return func(ctx durable.Context) (string, error) {
		if err := durable.Wait(ctx, "hour", time.Hour); err != nil {
			return "", err
		}
		return v, nil
	}
}

// describe renders a combinator's outcome for comparison.
func describe(v any, err error) string {
	var ce *durable.CombinatorError
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("error %s/%s: %s", ce.Type, ce.CauseType(), ce.Message)
	case err != nil:
		return "unexpected " + err.Error()
	}
	return fmt.Sprint(v)
}

func TestCombinatorsDecideOnceAndReplayTheSameOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx durable.Context) string
		want string
	}{
		{"race: the finished function wins over the waiting one", func(ctx durable.Context) string {
			return describe(durable.Race(ctx, "race", slow("late"), quick("fast", "fast", "")))
		}, "fast"},
		{"race: a failure that finishes first decides", func(ctx durable.Context) string {
			return describe(durable.Race(ctx, "race", slow("late"), quick("broken", "", "boom")))
		}, "error PromiseCombinatorError/Error: boom"},
		{"any: the first success, after a failure", func(ctx durable.Context) string {
			return describe(durable.Any(ctx, "any", quick("a", "", "no"), slow("late"), quick("b", "b", "")))
		}, "b"},
		{"any: every function failed", func(ctx durable.Context) string {
			return describe(durable.Any(ctx, "any", quick("a", "", "no"), quick("b", "", "nope")))
		}, "error PromiseCombinatorError/: All promises were rejected"},
		{"all: every result in index order", func(ctx durable.Context) string {
			return describe(durable.All(ctx, "all", quick("a", "a", ""), quick("b", "b", "")))
		}, "[a b]"},
		{"all: the first failure decides", func(ctx durable.Context) string {
			return describe(durable.All(ctx, "all", slow("late"), quick("b", "", "bad")))
		}, "error PromiseCombinatorError/Error: bad"},
		{"all settled: every outcome", func(ctx durable.Context) string {
			res, err := durable.AllSettled(ctx, "settled", quick("a", "a", ""), quick("b", "", "bad"))
			if err != nil {
				return "unexpected " + err.Error()
			}
			return fmt.Sprintf("%v %s %v", res.Results(), res.Status(), res.Err())
		}, `[a] FAILED combinator function "settled-1" failed: Error: bad`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outcomes []string
			r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
				out := tc.run(ctx)
				if strings.HasPrefix(out, "unexpected") {
					return out, errors.New(out)
				}
				outcomes = append(outcomes, out)
				// A wait after the combinator makes it replay once.
				return out, durable.Wait(ctx, "after", time.Second)
			})
			res, err := r.Run(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != durabletest.StatusSucceeded || len(outcomes) != 2 {
				t.Fatalf("status %s, outcomes %q; want SUCCEEDED with two (live, replayed)\n%s", res.Status, outcomes, res.Tree())
			}
			for i, got := range outcomes {
				if got != tc.want {
					t.Errorf("outcome %d = %q; want %q", i+1, got, tc.want)
				}
			}
			if len(res.Events(durabletest.EventWaitSucceeded)) != 1 {
				t.Errorf("want only the one-second wait to have finished (losers abandoned); history has %d WaitSucceeded\n%s", len(res.Events(durabletest.EventWaitSucceeded)), res.Tree())
			}
		})
	}
}

func TestRaceWithoutFunctionsIsAnError(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		return durable.Race[string](ctx, "nothing")
	})
	res, err := r.Run(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusFailed || !strings.Contains(res.Error.ErrorMessage, `race "nothing": no functions to race`) {
		t.Errorf("status %s, error %+v; want FAILED saying there is nothing to race", res.Status, res.Error)
	}
}

func TestExecutionStartTimeIsTheSameInEveryInvocation(t *testing.T) {
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var seen []time.Time
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		seen = append(seen, ctx.ExecutionStartTime())
		if err := durable.Wait(ctx, "pause", time.Hour); err != nil {
			return "", err
		}
		return "done", nil
	}, durabletest.WithServiceOptions(durabletest.WithStartTime(start)))
	res, err := r.Run(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || len(seen) != 2 {
		t.Fatalf("status %s after %d invocations; want SUCCEEDED after 2", res.Status, len(seen))
	}
	for i, got := range seen {
		if !got.Equal(start) {
			t.Errorf("invocation %d: ExecutionStartTime %v; want %v (an hour later, still the start)", i+1, got, start)
		}
	}
}

func TestReplayLogModes(t *testing.T) {
	handler := func(ctx durable.Context, in string) (string, error) {
		ctx.Logger().Info("before-wait")
		if err := durable.Wait(ctx, "pause", time.Minute); err != nil {
			return "", err
		}
		ctx.Logger().Info("after-wait")
		return "done", nil
	}
	for _, tc := range []struct {
		mode       durable.ReplayLogMode
		wantBefore int
		wantReplay int
	}{
		{durable.ReplayLogSuppress, 1, 0},
		{durable.ReplayLogEmit, 2, 1},
	} {
		r := durabletest.NewRunner(handler, durabletest.WithHandlerOptions(durable.WithReplayLogMode(tc.mode)))
		res, err := r.Run(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		before, replayed := 0, 0
		for _, line := range strings.Split(res.Logs, "\n") {
			if strings.Contains(line, `"before-wait"`) {
				before++
				if strings.Contains(line, `"replay":true`) {
					replayed++
				}
			}
			if strings.Contains(line, `"after-wait"`) && strings.Contains(line, `"replay"`) {
				t.Errorf("mode %d: the live line is marked as replay: %s", tc.mode, line)
			}
		}
		if before != tc.wantBefore || replayed != tc.wantReplay {
			t.Errorf("mode %d: before-wait written %d times, %d marked replay; want %d and %d\n%s", tc.mode, before, replayed, tc.wantBefore, tc.wantReplay, res.Logs)
		}
	}
}

func TestCombinatorOutcomeTooLargeToRecordFailsClearly(t *testing.T) {
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		return durable.Race(ctx, "big", func(durable.Context) (string, error) { return strings.Repeat("x", 300_000), nil })
	})
	res, err := r.Run(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusFailed || !strings.Contains(res.Error.ErrorMessage, "at most 262144 can be recorded") {
		t.Errorf("status %s, error %+v; want FAILED saying the outcome is too large to record", res.Status, res.Error)
	}
}

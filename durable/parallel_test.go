package durable_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
)

// branchReport is what the workflow under test learns from Parallel.
type branchReport struct {
	Results []string `json:"results"`
	Failed  string   `json:"failed"` // "<kind> <name> <type>" of the failed branch
}

func report(res durable.BatchResult[string]) (branchReport, error) {
	out := branchReport{Results: res.Results()}
	for _, err := range res.Errors() {
		var be *durable.ParallelBranchError
		if !errors.As(err, &be) {
			return out, errors.New("a failed branch's error is not a *ParallelBranchError")
		}
		out.Failed = be.Kind + " " + be.Name + " " + be.Type
	}
	return out, nil
}

func TestParallelBranchErrorsAreTypedOnFirstRunAndReplay(t *testing.T) {
	var reports []branchReport
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (branchReport, error) {
		res, err := durable.Parallel(ctx, "checks", []durable.Branch[string]{
			{Name: "fast", Fn: func(durable.Context) (string, error) { return "ok", nil }},
			{Name: "broken", Fn: func(durable.Context) (string, error) { return "", errors.New("no disk") }},
			{Fn: func(c durable.Context) (string, error) { return "waited", durable.Wait(c, "pause", time.Second) }},
		}, durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: new(1)}))
		if err != nil {
			return branchReport{}, err
		}
		rep, err := report(res)
		if err != nil {
			return rep, err
		}
		reports = append(reports, rep)
		// A wait after the Parallel makes it replay from its record.
		return rep, durable.Wait(ctx, "after", time.Second)
	})
	res, err := r.Run(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded {
		t.Fatalf("status %s: %+v\n%s", res.Status, res.Error, res.Tree())
	}
	if len(reports) != 2 {
		t.Fatalf("the Parallel returned %d times; want 2 (live, then replayed from its record)", len(reports))
	}
	want := "parallel branch broken Error"
	for i, rep := range reports {
		if strings.Join(rep.Results, ",") != "ok,waited" || rep.Failed != want {
			t.Errorf("return %d: %+v; want results ok,waited and failed %q", i+1, rep, want)
		}
	}
}

func TestParallelRejectsBadOptionsBeforeRecordingAnything(t *testing.T) {
	for _, tc := range []struct {
		name     string
		branches []durable.Branch[string]
		opts     []durable.MapOption
		want     string
	}{
		{"zero concurrency", []durable.Branch[string]{{Fn: func(durable.Context) (string, error) { return "", nil }}},
			[]durable.MapOption{durable.WithMaxConcurrency(0)}, "max concurrency must be at least 1, got 0"},
		{"nil function", []durable.Branch[string]{{Name: "empty"}}, nil, `branch 0 ("empty") has no function`},
		{"negative tolerance", nil, []durable.MapOption{durable.WithCompletion(durable.CompletionConfig{ToleratedFailureCount: new(-1)})},
			"ToleratedFailureCount must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := durabletest.NewRunner(func(ctx durable.Context, in string) ([]string, error) {
				res, err := durable.Parallel(ctx, "p", tc.branches, tc.opts...)
				return res.Results(), err
			})
			res, err := r.Run(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != durabletest.StatusFailed || res.Error == nil || !strings.Contains(res.Error.ErrorMessage, tc.want) || len(res.Operations) != 1 {
				t.Errorf("status %s, error %+v, %d operations; want FAILED naming %q before any operation", res.Status, res.Error, len(res.Operations), tc.want)
			}
		})
	}
}

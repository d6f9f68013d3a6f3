package durable_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// outcome is what the workflow under test reports about its callback.
type outcome struct {
	Value     string `json:"value"`
	Kind      string `json:"kind"` // "", "failed", "timeout", "heartbeat"
	ErrorType string `json:"errorType"`
}

// classify turns a callback's result into an outcome, checking that every
// callback failure is a *CallbackError and an *OperationError.
func classify(v string, err error) (outcome, error) {
	if err == nil {
		return outcome{Value: v}, nil
	}
	var cbErr *durable.CallbackError
	var opErr *durable.OperationError
	if !errors.As(err, &cbErr) || !errors.As(err, &opErr) {
		return outcome{}, err
	}
	out := outcome{Kind: "failed", ErrorType: opErr.Type}
	switch {
	case cbErr.HeartbeatTimedOut():
		out.Kind = "heartbeat"
	case cbErr.TimedOut():
		out.Kind = "timeout"
	}
	return out, nil
}

func TestCallbackOutcomesAreTypedOnFirstRunAndReplay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []durable.CallbackOption
		respond func(s *durabletest.Service, id string) error
		want    outcome
	}{
		{"success", nil, func(s *durabletest.Service, id string) error { return s.SendCallbackSuccess(id, `"videos/a.mp4"`) },
			outcome{Value: "videos/a.mp4"}},
		{"failure", nil, func(s *durabletest.Service, id string) error {
			return s.SendCallbackFailure(id, &wire.ErrorObject{ErrorType: "RejectedError", ErrorMessage: "not approved"})
		}, outcome{Kind: "failed", ErrorType: "RejectedError"}},
		{"timeout", []durable.CallbackOption{durable.WithCallbackTimeout(30 * time.Second)}, nil,
			outcome{Kind: "timeout", ErrorType: durable.CallbackTimeoutType}},
		{"heartbeat timeout", []durable.CallbackOption{durable.WithCallbackTimeout(time.Hour), durable.WithHeartbeatTimeout(10 * time.Second)}, nil,
			outcome{Kind: "heartbeat", ErrorType: durable.CallbackHeartbeatTimeoutType}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := durabletest.NewRunner(func(ctx durable.Context, in string) (outcome, error) {
				cb, err := durable.CreateCallback[string](ctx, "video", tc.opts...)
				if err != nil {
					return outcome{}, err
				}
				// A wait after the result makes the outcome replay once more.
				out, err := classify(cb.Result(ctx))
				if err != nil {
					return out, err
				}
				return out, durable.Wait(ctx, "after", time.Second)
			}, durabletest.WithOnBlocked(func(ctx context.Context, s *durabletest.Service, arn string) error {
				open, err := s.OpenCallbacks(arn)
				if err != nil || len(open) == 0 || tc.respond == nil {
					return err
				}
				return tc.respond(s, open[0].CallbackDetails.CallbackId)
			}))
			res, err := r.Run(context.Background(), "job")
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != durabletest.StatusSucceeded || res.Value != tc.want {
				t.Fatalf("status %s, outcome %+v; want SUCCEEDED with %+v\n%s", res.Status, res.Value, tc.want, res.Tree())
			}
			if res.Invocations != 3 {
				t.Errorf("%d invocations; want 3 (create, outcome, after the wait)", res.Invocations)
			}
		})
	}
}

func TestWaitForCallbackRunsTheSubmitterOnceWithTheCallbackID(t *testing.T) {
	submitted := 0
	var gotID string
	r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
		return durable.WaitForCallback[string](ctx, "approval", func(sc durable.StepContext, id string) error {
			submitted++
			gotID = id
			return nil
		}, durable.WithCallbackTimeout(time.Hour))
	}, durabletest.WithOnBlocked(func(ctx context.Context, s *durabletest.Service, arn string) error {
		open, err := s.OpenCallbacks(arn)
		if err != nil || len(open) != 1 {
			return err
		}
		if open[0].CallbackDetails.CallbackId != gotID {
			t.Errorf("submitter saw callback id %q; the open callback is %q", gotID, open[0].CallbackDetails.CallbackId)
		}
		return s.SendCallbackSuccess(gotID, `"approved"`)
	}))
	res, err := r.Run(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != durabletest.StatusSucceeded || res.Value != "approved" || submitted != 1 {
		t.Fatalf("status %s, value %q, submitter ran %d times; want SUCCEEDED, approved, once\n%s", res.Status, res.Value, submitted, res.Tree())
	}
}

func TestNegativeCallbackTimeoutsNameTheOption(t *testing.T) {
	for _, tc := range []struct {
		opt  durable.CallbackOption
		want string
	}{
		{durable.WithCallbackTimeout(-time.Second), "timeout -1s is negative"},
		{durable.WithHeartbeatTimeout(-time.Second), "heartbeat timeout -1s is negative"},
		{durable.WithSubmitterRetry(nil), "submitter retry strategy is nil"},
	} {
		r := durabletest.NewRunner(func(ctx durable.Context, in string) (string, error) {
			return durable.WaitForCallback[string](ctx, "approval", func(durable.StepContext, string) error { return nil }, tc.opt)
		})
		res, err := r.Run(context.Background(), "job")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != durabletest.StatusFailed || res.Error == nil || !strings.Contains(res.Error.ErrorMessage, tc.want) || len(res.Operations) != 1 {
			t.Errorf("status %s, error %+v, %d operations; want FAILED naming %q before any operation", res.Status, res.Error, len(res.Operations), tc.want)
		}
	}
}

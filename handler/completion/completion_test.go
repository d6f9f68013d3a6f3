package completion_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/completion"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
)

const arn = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def456"

func succeeded() jobstore.Result {
	return jobstore.Result{
		Status: jobstore.StatusSucceeded, MessageID: "m-1", Model: "luma.ray-v2:0", InvocationArn: arn,
		VideoURI:    "s3://videos-bucket/videos/m-1/abc123def456/output.mp4",
		SubmittedAt: "2026-11-30T10:00:00Z", CompletedAt: "2026-11-30T10:03:30Z", Checks: 4,
	}
}

func failed() jobstore.Result {
	return jobstore.Result{
		Status: jobstore.StatusFailed, MessageID: "m-2", Model: "luma.ray-v2:0",
		Error:       &jobstore.ResultError{Type: "InvalidJob", Message: "invalid job: prompt: is required"},
		CompletedAt: "2026-11-30T10:00:01Z",
	}
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name       string
		result     jobstore.Result
		detailType string
		resources  []string
	}{
		{"succeeded", succeeded(), "Video Generation Succeeded", []string{arn}},
		{"failed before a job started", failed(), "Video Generation Failed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eb := awsfake.NewEventBridge(t, "video-events")
			p := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "video-events")
			id, err := p.Publish(context.Background(), tt.result)
			if err != nil {
				t.Fatal(err)
			}
			evs := eb.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.ID != id || ev.Bus != "video-events" || !ev.Delivered || ev.Source != "bedrockvideo.pipeline" || ev.DetailType != tt.detailType {
				t.Errorf("event %+v (publish returned id %q)", ev, id)
			}
			if strings.Join(ev.Resources, ",") != strings.Join(tt.resources, ",") {
				t.Errorf("resources %v, want %v", ev.Resources, tt.resources)
			}
			want, _ := time.Parse(time.RFC3339, tt.result.CompletedAt)
			if !ev.Time.Equal(want) {
				t.Errorf("event time %v, want the completion time %v", ev.Time, want)
			}
			// The detail is result.json, message id included.
			var got jobstore.Result
			if err := json.Unmarshal(ev.Detail, &got); err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(tt.result)
			if string(gotJSON) != string(wantJSON) || got.MessageID != tt.result.MessageID {
				t.Errorf("detail %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	t.Run("partial failure", func(t *testing.T) {
		eb := awsfake.NewEventBridge(t)
		eb.FailEntries(awsfake.EntryFault{Code: "ThrottlingException", Message: "Rate exceeded"})
		_, err := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "default").Publish(context.Background(), succeeded())
		var fe *completion.FailedEntryError
		if !errors.As(err, &fe) || fe.Code != "ThrottlingException" || !strings.Contains(err.Error(), "m-1") {
			t.Fatalf("error %v, want a FailedEntryError naming the message", err)
		}
		if len(eb.Events()) != 0 {
			t.Error("a failed entry was recorded as an event")
		}
	})
	t.Run("request refused", func(t *testing.T) {
		eb := awsfake.NewEventBridge(t)
		eb.Inject(awsfake.Fault{Code: "AccessDeniedException", Status: http.StatusBadRequest, Message: "not authorized to perform: events:PutEvents"})
		_, err := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "default").Publish(context.Background(), succeeded())
		if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "event bus default") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("not a final status", func(t *testing.T) {
		eb := awsfake.NewEventBridge(t)
		r := succeeded()
		r.Status = "RETRY_LATER"
		_, err := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "default").Publish(context.Background(), r)
		if err == nil || !strings.Contains(err.Error(), `status "RETRY_LATER"`) || eb.Requests() != 0 {
			t.Fatalf("error %v, requests %d", err, eb.Requests())
		}
	})
	t.Run("too large", func(t *testing.T) {
		eb := awsfake.NewEventBridge(t)
		r := failed()
		r.Error.Message = strings.Repeat("x", completion.MaxEntrySize)
		_, err := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "default").Publish(context.Background(), r)
		if err == nil || !strings.Contains(err.Error(), "EventBridge takes less than 262144") || eb.Requests() != 0 {
			t.Fatalf("error %v, requests %d", err, eb.Requests())
		}
	})
}

// EventBridge answers an event for a bus that does not exist with success
// and drops it; the fake does the same, so a misnamed bus shows up in
// tests as an undelivered event rather than an error.
func TestUnknownBusIsAcceptedButNotDelivered(t *testing.T) {
	eb := awsfake.NewEventBridge(t)
	if _, err := completion.NewFromConfig(awsfake.ClientConfig(eb.URL()), "typo-bus").Publish(context.Background(), succeeded()); err != nil {
		t.Fatal(err)
	}
	if evs := eb.Events(); len(evs) != 1 || evs[0].Delivered {
		t.Fatalf("events %+v", evs)
	}
}

package notifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/notifier"
)

const bucket = "video-output"

// rig is a notifier wired with real SDK clients to the S3 fake and to a
// Lambda API endpoint (durabletest's server, or a fault-injecting one).
type rig struct {
	s3       *awsfake.S3
	store    *jobstore.Store
	notifier *notifier.Notifier
	logs     *bytes.Buffer
}

func newRig(t *testing.T, lambdaURL string) *rig {
	t.Helper()
	fake := awsfake.NewS3(t, bucket)
	r := &rig{s3: fake, store: jobstore.NewFromConfig(awsfake.ClientConfig(fake.URL()), bucket), logs: &bytes.Buffer{}}
	if lambdaURL != "" {
		r.connect(lambdaURL)
	}
	return r
}

// connect points the notifier's Lambda client at lambdaURL, without the
// SDK's retries so that a fault reaches the notifier.
func (r *rig) connect(lambdaURL string) {
	api := lambda.NewFromConfig(awsfake.ClientConfig(lambdaURL), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	r.notifier = notifier.New(bucket, r.store, api, slog.New(slog.NewJSONHandler(r.logs, nil)))
}

// serve serves svc's Lambda API over HTTP for the test.
func serve(t *testing.T, svc *durabletest.Service) string {
	t.Helper()
	srv, err := durabletest.NewServer(svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

// unavailable is n S3 answers of 503 SlowDown: enough to exhaust the SDK's
// retries when n is 3.
func unavailable(n int) []awsfake.Fault {
	f := make([]awsfake.Fault, n)
	for i := range f {
		f[i] = awsfake.Fault{Code: "SlowDown", Status: http.StatusServiceUnavailable, Message: "Please reduce your request rate."}
	}
	return f
}

// created is an S3 ObjectCreated:Put record as S3 delivers it: the key
// form-encoded, decoded by the events package as Lambda's runtime does.
func created(t *testing.T, bucketName, rawKey string) events.S3Event {
	t.Helper()
	doc := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
		"eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"bucket": map[string]any{"name": bucketName, "arn": "arn:aws:s3:::" + bucketName},
			"object": map[string]any{"key": rawKey, "size": 1024},
		},
	}}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.S3Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// waitingWorkflow is a durable function that registers its callback in
// callback.json (as the workflow does) and returns what the callback
// delivers.
func waitingWorkflow(store *jobstore.Store, messageID string) durable.Handler[string, jobstore.VideoLanded] {
	return func(ctx durable.Context, _ string) (jobstore.VideoLanded, error) {
		return durable.WaitForCallback[jobstore.VideoLanded](ctx, "video-landed", func(sc durable.StepContext, id string) error {
			return store.PutCallback(sc, jobstore.CallbackRecord{
				CallbackID: id, MessageID: messageID,
				InvocationArn: "arn:aws:bedrock:us-west-2:123456789012:async-invoke/abc123def456",
				CreatedAt:     time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
			})
		}, durable.WithCallbackTimeout(10*time.Minute))
	}
}

// TestVideoLandingCompletesTheWorkflowsCallback runs a durable function
// that registers its callback in callback.json and waits; Bedrock's write
// of the video makes the S3 fake send its event notification to the
// notifier, which completes the callback through durabletest's Lambda API.
func TestVideoLandingCompletesTheWorkflowsCallback(t *testing.T) {
	for _, key := range []string{
		"videos/m-1/abc123def456/output.mp4",
		"videos/m-1/take 1, final+cut.mp4", // S3 sends it form-encoded
	} {
		t.Run(key, func(t *testing.T) {
			r := newRig(t, "")
			r.s3.NotifyObjectCreated(bucket, "videos/", ".mp4", func(ctx context.Context, event []byte) error {
				var ev events.S3Event
				if err := json.Unmarshal(event, &ev); err != nil {
					return err
				}
				return r.notifier.Handle(ctx, ev)
			})
			runner := durabletest.NewRunner(waitingWorkflow(r.store, "m-1"),
				durabletest.WithOnBlocked(func(context.Context, *durabletest.Service, string) error {
					r.s3.Put(bucket, key, []byte("mp4"), "video/mp4") // Bedrock writes the video
					r.s3.WaitNotifications()
					return nil
				}))
			r.connect(serve(t, runner.Service()))

			res, err := runner.Run(context.Background(), "job")
			if err != nil {
				t.Fatal(err)
			}
			want := jobstore.VideoLanded{Bucket: bucket, Key: key}
			if res.Status != durabletest.StatusSucceeded || res.Value != want {
				t.Fatalf("execution %s with %+v (error %+v), want it to succeed with %+v; notifier logs:\n%s",
					res.Status, res.Value, res.Error, want, r.logs)
			}
			if n, errs := r.s3.Notifications(), r.s3.NotificationErrors(); n != 1 || len(errs) != 0 {
				t.Errorf("%d notifications, errors %v; want one, handled", n, errs)
			}
			if !strings.Contains(r.logs.String(), `"msg":"callback completed with the video"`) {
				t.Errorf("completion not logged:\n%s", r.logs)
			}

			// S3 may deliver an event more than once: the second delivery
			// finds the callback closed and succeeds without effect.
			rec := created(t, bucket, url.QueryEscape(key)).Records[0]
			if rec.S3.Object.URLDecodedKey != key {
				t.Fatalf("test event decodes to %q, want %q", rec.S3.Object.URLDecodedKey, key)
			}
			out, err := r.notifier.Notify(context.Background(), rec)
			if err != nil || out != notifier.CallbackClosed {
				t.Errorf("redelivered event: %q, %v; want %q and no error", out, err, notifier.CallbackClosed)
			}
		})
	}
}

func TestRecordsThatAreNotAJobsVideoAreSkipped(t *testing.T) {
	r := newRig(t, serve(t, durabletest.NewService()))
	// A callback is registered, so a skip is the key's doing.
	if err := r.store.PutCallback(context.Background(), jobstore.CallbackRecord{CallbackID: "Y2I=", MessageID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	other := created(t, "someone-elses-bucket", "videos/m-1/a/output.mp4").Records[0]
	removed := created(t, bucket, "videos/m-1/a/output.mp4").Records[0]
	removed.EventName = "ObjectRemoved:Delete"
	tests := []struct {
		name string
		rec  events.S3EventRecord
	}{
		{"job record", created(t, bucket, "videos/m-1/job.json").Records[0]},
		{"callback record", created(t, bucket, "videos/m-1/callback.json").Records[0]},
		{"not under videos/", created(t, bucket, "inputs/m-1/frame.mp4").Records[0]},
		{"no message folder", created(t, bucket, "videos/output.mp4").Records[0]},
		{"empty message id", created(t, bucket, "videos//output.mp4").Records[0]},
		{"path traversal", created(t, bucket, "videos/../m-1/output.mp4").Records[0]},
		{"other suffix", created(t, bucket, "videos/m-1/a/output.mp4.part").Records[0]},
		{"another bucket", other},
		{"not a creation", removed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.notifier.Notify(context.Background(), tt.rec)
			if err != nil || out != notifier.Skipped {
				t.Errorf("Notify = %q, %v; want %q", out, err, notifier.Skipped)
			}
		})
	}
}

func TestDoneOrGoneCallbacksNeverFailTheEvent(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, serve(t, durabletest.NewService()))
	ev := created(t, bucket, "videos/m-1/a/output.mp4")

	// Polling mode (or the workflow has not registered yet): no callback.json.
	out, err := r.notifier.Notify(ctx, ev.Records[0])
	if err != nil || out != notifier.NoCallback {
		t.Errorf("without callback.json: %q, %v; want %q", out, err, notifier.NoCallback)
	}

	// A callback Lambda does not know (an execution long gone): durabletest
	// answers ResourceNotFoundException as the Lambda API does.
	if err := r.store.PutCallback(ctx, jobstore.CallbackRecord{CallbackID: "dW5rbm93bg==", MessageID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	out, err = r.notifier.Notify(ctx, ev.Records[0])
	if err != nil || out != notifier.CallbackUnknown {
		t.Errorf("unknown callback: %q, %v; want %q", out, err, notifier.CallbackUnknown)
	}
	if err := r.notifier.Handle(ctx, ev); err != nil {
		t.Errorf("Handle failed the event for an unknown callback: %v", err)
	}
	if !strings.Contains(r.logs.String(), `"callbackId":"dW5rbm93bg=="`) {
		t.Errorf("the skip is not logged with the callback id:\n%s", r.logs)
	}
}

func TestTransientFailuresFailTheEventForARetry(t *testing.T) {
	ctx := context.Background()
	ev := created(t, bucket, "videos/m-1/a/output.mp4")

	t.Run("S3 unavailable", func(t *testing.T) {
		r := newRig(t, serve(t, durabletest.NewService()))
		r.s3.Inject(awsfake.OpGetObject, unavailable(3)...)
		if err := r.notifier.Handle(ctx, ev); err == nil || !strings.Contains(err.Error(), "SlowDown") {
			t.Errorf("Handle = %v, want the S3 error so Lambda retries the event", err)
		}
	})

	for _, tt := range []struct {
		name, code string
		status     int
	}{
		{"Lambda throttles", "TooManyRequestsException", http.StatusTooManyRequests},
		{"Lambda fails", "ServiceException", http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			lambdaAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				calls.Add(1)
				if req.Method != http.MethodPost || req.URL.EscapedPath() != "/2025-12-01/durable-execution-callbacks/Y2I%3D/succeed" {
					http.Error(w, "unexpected request "+req.Method+" "+req.URL.EscapedPath(), http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Amzn-ErrorType", tt.code)
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"Type":"Service","message":"try again"}`))
			}))
			t.Cleanup(lambdaAPI.Close)
			r := newRig(t, lambdaAPI.URL)
			if err := r.store.PutCallback(ctx, jobstore.CallbackRecord{CallbackID: "Y2I=", MessageID: "m-1"}); err != nil {
				t.Fatal(err)
			}
			err := r.notifier.Handle(ctx, ev)
			if err == nil || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("Handle = %v, want the %s so Lambda retries the event", err, tt.code)
			}
			if calls.Load() != 1 {
				t.Errorf("%d calls of the callback API, want 1", calls.Load())
			}
		})
	}
}

func TestHandleNotifiesEveryRecordAndReportsEachFailure(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, serve(t, durabletest.NewService()))
	ev := created(t, bucket, "videos/m-1/a/output.mp4")
	ev.Records = append(ev.Records, created(t, bucket, "videos/m-2/b/output.mp4").Records[0])
	r.s3.Inject(awsfake.OpGetObject, unavailable(3)...)
	err := r.notifier.Handle(ctx, ev)
	if err == nil || !strings.Contains(err.Error(), "message m-1") {
		t.Fatalf("Handle = %v, want the failure of m-1", err)
	}
	if strings.Contains(err.Error(), "m-2") {
		t.Errorf("m-2 (no callback) reported as a failure: %v", err)
	}
	var retry *notifier.RetryError
	if !errors.As(err, &retry) || len(retry.Errs) != 1 {
		t.Errorf("error %T %v, want a *RetryError with one record's error", err, err)
	}
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SlowDown" {
		t.Errorf("error %v does not wrap the S3 error", err)
	}
}

// TestS3TestEventIsAccepted: a message without records, such as the
// s3:TestEvent S3 sends to check a destination, must not fail.
func TestS3TestEventIsAccepted(t *testing.T) {
	r := newRig(t, serve(t, durabletest.NewService()))
	var ev events.S3Event
	testEvent := `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-30T14:00:00.000Z","Bucket":"video-output","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`
	if err := json.Unmarshal([]byte(testEvent), &ev); err != nil {
		t.Fatal(err)
	}
	if err := r.notifier.Handle(context.Background(), ev); err != nil {
		t.Errorf("Handle(s3:TestEvent) = %v, want success", err)
	}
}

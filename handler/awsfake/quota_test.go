package awsfake

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	brtypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestBedrockQuotaMode(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	b := NewBedrock(t)
	b.SetClock(clock.Now)
	b.SetConcurrentJobQuota(2)
	b.SetGenerationTime(func(string, json.RawMessage) time.Duration { return 90 * time.Second })
	client := bedrockruntime.NewFromConfig(ClientConfig(b.URL()), func(o *bedrockruntime.Options) { o.Retryer = aws.NopRetryer{} })
	start := func(token, model string) (string, error) {
		out, err := client.StartAsyncInvoke(ctx, &bedrockruntime.StartAsyncInvokeInput{
			ClientRequestToken: aws.String(token),
			ModelId:            aws.String(model),
			ModelInput:         document.NewLazyDocument(map[string]any{"prompt": token}),
			OutputDataConfig: &brtypes.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{
				Value: brtypes.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String("s3://b/videos/" + token)},
			},
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.InvocationArn), nil
	}
	inProgress := func() int {
		out, err := client.ListAsyncInvokes(ctx, &bedrockruntime.ListAsyncInvokesInput{StatusEquals: brtypes.AsyncInvokeStatusInProgress})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.AsyncInvokeSummaries)
	}

	first, err := start("aaa", "luma.ray-v2:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start("bbb", "luma.ray-v2:0"); err != nil {
		t.Fatal(err)
	}
	// The third concurrent job of the model is refused, as the SDK's
	// modeled error, and creates nothing.
	_, err = start("ccc", "luma.ray-v2:0")
	var quota *brtypes.ServiceQuotaExceededException
	if !errors.As(err, &quota) || quota.ErrorMessage() != QuotaExceededMessage {
		t.Fatalf("third start: %T %v", err, err)
	}
	if len(b.Jobs()) != 2 || inProgress() != 2 {
		t.Errorf("%d jobs, %d in progress after a refused start", len(b.Jobs()), inProgress())
	}
	// A repeated start of a job that exists is answered with that job,
	// whatever the quota.
	if again, err := start("aaa", "luma.ray-v2:0"); err != nil || again != first {
		t.Errorf("repeated start: %q %v", again, err)
	}
	// The quota is per model.
	if _, err := start("other", "example.other-video-v1:0"); err != nil {
		t.Errorf("another model's start: %v", err)
	}

	// Jobs finish by the clock, not by the number of checks.
	clock.Advance(89 * time.Second)
	got, err := client.GetAsyncInvoke(ctx, &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String(first)})
	if err != nil || got.Status != brtypes.AsyncInvokeStatusInProgress {
		t.Fatalf("at 89 s: %v %v", got.Status, err)
	}
	clock.Advance(time.Second)
	if n := inProgress(); n != 0 {
		t.Errorf("%d jobs in progress after their generation time", n)
	}
	got, err = client.GetAsyncInvoke(ctx, &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String(first)})
	if err != nil || got.Status != brtypes.AsyncInvokeStatusCompleted || !aws.ToTime(got.EndTime).Equal(clock.Now()) {
		t.Fatalf("at 90 s: %v %v %v", got.Status, got.EndTime, err)
	}
	if _, err := start("ccc", "luma.ray-v2:0"); err != nil {
		t.Errorf("start after a slot freed: %v", err)
	}

	// A throttling window refuses every start inside it.
	b.ThrottleStarts(clock.Now(), clock.Now().Add(2*time.Minute))
	_, err = start("ddd", "luma.ray-v2:0")
	var throttled *brtypes.ThrottlingException
	if !errors.As(err, &throttled) {
		t.Errorf("start in the window: %T %v", err, err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := start("ddd", "luma.ray-v2:0"); err != nil {
		t.Errorf("start after the window: %v", err)
	}
	if q, th := b.CapacityRefusals(); q != 1 || th != 1 {
		t.Errorf("refusals: quota %d, throttling %d", q, th)
	}
	if p := b.PeakInProgress("luma.ray-v2:0"); p != 2 {
		t.Errorf("peak %d, want 2", p)
	}
}

package bedrockjob

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

func TestCountInProgress(t *testing.T) {
	c, fake := newClient(t)
	fake.MaxPageSize = 2 // the count must follow pages
	var nova []string
	for i := range 5 {
		nova = append(nova, fake.AddJob(fmt.Sprintf("nova%d", i), "amazon.nova-reel-v1:1", testOutputURI, json.RawMessage(`{}`)).InvocationArn)
	}
	fake.AddJob("other", "amazon.nova-reel-v1:0", testOutputURI, json.RawMessage(`{}`))
	fake.Complete(nova[0])
	fake.Fail(nova[1], "filtered")

	// Three of the model's jobs run. The count is exact up to the limit and
	// may stop at the page that reaches it.
	for _, limit := range []int{10, 3, 2, 1} {
		n, err := c.CountInProgress(context.Background(), "amazon.nova-reel-v1:1", limit)
		if err != nil || n < min(limit, 3) || n > 3 {
			t.Errorf("CountInProgress(limit %d) = %d, %v; want at least %d and at most 3", limit, n, err, min(limit, 3))
		}
	}

	fake.Inject(awsfake.OpListAsyncInvokes, awsfake.BedrockFault("ThrottlingException", "slow down"))
	if _, err := c.CountInProgress(context.Background(), "amazon.nova-reel-v1:1", 3); !IsCapacity(err) {
		t.Errorf("a throttled listing: %v", err)
	}
}

func TestIsCapacity(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&Error{Code: CodeQuotaExceeded}, true},
		{&Error{Code: CodeThrottling}, true},
		{&Error{Code: "InternalServerException", Retryable: true}, false},
		{fmt.Errorf("wrapped: %w", &Error{Code: CodeThrottling}), true},
		{nil, false},
	} {
		if got := IsCapacity(tt.err); got != tt.want {
			t.Errorf("IsCapacity(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

package bedrockjob

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

const testOutputURI = "s3://videos-bucket/videos/msg-1"

// fakeStart is the date the Bedrock fake's clock starts at.
var fakeStart = time.Date(2026, time.September, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T) (*Client, *awsfake.Bedrock) {
	t.Helper()
	fake := awsfake.NewBedrock(t, jobspec.KnownModels()...)
	// These tests drive Amazon Nova Reel, in us-east-1, before its end of
	// life.
	fake.Region = "us-east-1"
	fake.SetClock(awsfake.ClockFrom(fakeStart))
	return NewFromConfig(awsfake.ClientConfig(fake.URL())), fake
}

func request(t *testing.T, body string) StartRequest {
	t.Helper()
	job, err := jobspec.Parse(body, jobspec.Policy{Default: jobspec.NovaReelV11})
	if err != nil {
		t.Fatal(err)
	}
	return StartRequest{Token: ClientRequestToken("msg-1"), ModelID: job.Model, ModelInput: job.ModelInput, OutputURI: testOutputURI}
}

func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestStartAndFollowAJob(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t)
	req := request(t, `{"prompt":"a lighthouse <at> dusk & rain","seed":0}`)
	started, err := c.Start(ctx, req, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^arn:aws:bedrock:us-east-1:\d{12}:async-invoke/[a-z0-9]{12}$`).MatchString(started.InvocationArn) {
		t.Errorf("ARN %q", started.InvocationArn)
	}
	jobs := fake.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	// The model input reaches Bedrock exactly as jobspec built it: seed 0
	// is sent, numbers stay integers, the prompt is not escaped.
	if got, want := canonical(t, jobs[0].ModelInput), canonical(t, req.ModelInput); got != want {
		t.Errorf("model input sent\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(string(jobs[0].ModelInput), `"seed":0`) {
		t.Errorf("seed 0 lost: %s", jobs[0].ModelInput)
	}
	if jobs[0].Token != req.Token || jobs[0].OutputS3URI != testOutputURI || jobs[0].ModelID != jobspec.NovaReelV11 {
		t.Errorf("job %+v", jobs[0])
	}

	for i, want := range []string{StatusInProgress, StatusInProgress, StatusCompleted} {
		st, err := c.Get(ctx, started.InvocationArn)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != want {
			t.Fatalf("check %d: status %s, want %s", i+1, st.Status, want)
		}
		if st.ClientRequestToken != req.Token || st.OutputURI != testOutputURI || st.SubmitTime.IsZero() {
			t.Errorf("status %+v", st)
		}
		if want == StatusCompleted && st.EndTime.IsZero() {
			t.Error("completed job without end time")
		}
	}
	if got := InvocationID(started.InvocationArn); got != jobs[0].ID {
		t.Errorf("invocation id %s, want %s", got, jobs[0].ID)
	}
}

func TestStartIsIdempotentPerToken(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t)
	req := request(t, `{"prompt":"x"}`)
	first, err := c.Start(ctx, req, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Start(ctx, req, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if first.InvocationArn != second.InvocationArn || second.RecoveredByToken {
		t.Errorf("first %+v, second %+v", first, second)
	}
	if n := len(fake.Jobs()); n != 1 {
		t.Errorf("%d jobs for one token", n)
	}
	if n := fake.StartCalls(req.Token); n != 2 {
		t.Errorf("%d start calls", n)
	}
}

func TestConflictIsResolvedByToken(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t)
	fake.MaxPageSize = 3 // the matching job is on a later page
	req := request(t, `{"prompt":"x"}`)
	first, err := c.Start(ctx, req, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		fake.AddJob(ClientRequestToken("other-"+string(rune('a'+i))), jobspec.NovaReelV11, "s3://b/x", json.RawMessage(`{}`))
	}
	changed := request(t, `{"prompt":"y"}`)
	got, err := c.Start(ctx, changed, fakeStart.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.InvocationArn != first.InvocationArn || !got.RecoveredByToken {
		t.Errorf("got %+v, want recovery of %s", got, first.InvocationArn)
	}
	if n := len(fake.Jobs()); n != 8 {
		t.Errorf("%d jobs", n)
	}
}

func TestConflictWithoutAJob(t *testing.T) {
	c, fake := newClient(t)
	fake.Inject(awsfake.OpStartAsyncInvoke, awsfake.BedrockFault("ConflictException", "token in use"))
	_, err := c.Start(context.Background(), request(t, `{"prompt":"x"}`), fakeStart.Add(-time.Hour))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeTokenNotFound || e.Retryable {
		t.Fatalf("got %v", err)
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		fault     awsfake.Fault
		code      string
		retryable bool
	}{
		{awsfake.BedrockFault("ThrottlingException", "Too many requests"), "ThrottlingException", true},
		{awsfake.BedrockFault("ServiceQuotaExceededException", "quota"), "ServiceQuotaExceededException", true},
		{awsfake.BedrockFault("InternalServerException", "oops"), "InternalServerException", true},
		{awsfake.BedrockFault("ServiceUnavailableException", "later"), "ServiceUnavailableException", true},
		{awsfake.Fault{Code: "SomethingNew", Status: 502, Message: "bad gateway"}, "SomethingNew", true},
		{awsfake.NetworkFault(), CodeNetwork, true},
		{awsfake.BedrockFault("ValidationException", "bad input"), "ValidationException", false},
		{awsfake.BedrockFault("AccessDeniedException", "no"), "AccessDeniedException", false},
		{awsfake.BedrockFault("ResourceNotFoundException", "no such model"), "ResourceNotFoundException", false},
		{awsfake.BedrockFault("ResourceNotFoundException", awsfake.EndOfLifeMessage), CodeModelEndOfLife, false},
		{awsfake.BedrockFault("ResourceNotFoundException", "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"), CodeModelEndOfLife, false},
		{awsfake.BedrockFault("AccessDeniedException", "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 15 days."), CodeModelEndOfLife, false},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.fault.Message, func(t *testing.T) {
			c, fake := newClient(t)
			fake.Inject(awsfake.OpStartAsyncInvoke, tt.fault)
			_, err := c.Start(context.Background(), request(t, `{"prompt":"x"}`), time.Time{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v", err, err)
			}
			if e.Code != tt.code || e.Retryable != tt.retryable || IsRetryable(err) != tt.retryable {
				t.Errorf("code %s retryable %v, want %s %v (%v)", e.Code, e.Retryable, tt.code, tt.retryable, err)
			}
			if tt.fault.Message != "" && tt.code != CodeModelEndOfLife && e.Message != tt.fault.Message {
				t.Errorf("message %q, want Bedrock's %q", e.Message, tt.fault.Message)
			}
			if e.ErrorType() != tt.code {
				t.Errorf("ErrorType %s", e.ErrorType())
			}
		})
	}
}

func TestEndOfLifeNamesTheSettings(t *testing.T) {
	c, fake := newClient(t)
	fake.SetClock(awsfake.ClockFrom(time.Date(2026, time.September, 30, 0, 0, 0, 0, time.UTC)))
	_, err := c.Start(context.Background(), request(t, `{"prompt":"x"}`), time.Time{})
	for _, want := range []string{"amazon.nova-reel-v1:1", "end of life", "use luma.ray-v2:0 in us-west-2", config.EnvModelID, config.EnvRegion, config.EnvAllowedModels} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestGetUnknownJob(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.Get(context.Background(), "arn:aws:bedrock:us-east-1:123456789012:async-invoke/zzzzzzzzzzzz")
	var e *Error
	if !errors.As(err, &e) || e.Code != "ResourceNotFoundException" || e.Retryable {
		t.Fatalf("got %v", err)
	}
}

func TestClientRequestToken(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$`)
	ids := []string{"059f36b4-87a3-44ab-83d2-661975830a7d", "", "with/slash and spaces", strings.Repeat("x", 1000)}
	seen := map[string]bool{}
	for _, id := range ids {
		tok := ClientRequestToken(id)
		if len(tok) != 64 || !pattern.MatchString(tok) {
			t.Errorf("token %q for %q breaks the documented constraints", tok, id)
		}
		if tok != ClientRequestToken(id) {
			t.Errorf("token for %q is not deterministic", id)
		}
		if seen[tok] {
			t.Errorf("token collision for %q", id)
		}
		seen[tok] = true
	}
}

func TestRetryableCode(t *testing.T) {
	if !RetryableCode("ThrottlingException") {
		t.Error("throttling code not retryable")
	}
	if RetryableCode("ValidationException") {
		t.Error("validation code retryable")
	}
	if IsRetryable(errors.New("plain")) {
		t.Error("plain error retryable")
	}
}

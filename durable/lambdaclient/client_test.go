package lambdaclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/durable/lambdaclient"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

func newClient(t *testing.T, svc *durabletest.Service) *lambdaclient.Client {
	t.Helper()
	srv, err := durabletest.NewServer(svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	api := lambda.New(lambda.Options{
		BaseEndpoint:     aws.String(srv.URL()),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return lambdaclient.New(api)
}

// normalize drops sub-millisecond differences: restJson1 carries epoch
// seconds as a float, which the SDK truncates to milliseconds.
func near(a, b wire.Timestamp) bool {
	d := a.Sub(b.Time)
	return d > -2*time.Millisecond && d < 2*time.Millisecond
}

func sameOps(t *testing.T, got, want []wire.Operation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d operations, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !near(g.StartTimestamp, w.StartTimestamp) || !near(g.EndTimestamp, w.EndTimestamp) {
			t.Errorf("op %s timestamps %v/%v, want %v/%v", w.Id, g.StartTimestamp, g.EndTimestamp, w.StartTimestamp, w.EndTimestamp)
		}
		g.StartTimestamp, g.EndTimestamp = w.StartTimestamp, w.EndTimestamp
		if g.StepDetails != nil && w.StepDetails != nil {
			if !near(g.StepDetails.NextAttemptTimestamp, w.StepDetails.NextAttemptTimestamp) {
				t.Errorf("op %s NextAttemptTimestamp %v, want %v", w.Id, g.StepDetails.NextAttemptTimestamp, w.StepDetails.NextAttemptTimestamp)
			}
			g.StepDetails.NextAttemptTimestamp = w.StepDetails.NextAttemptTimestamp
		}
		if g.WaitDetails != nil && w.WaitDetails != nil {
			if !near(g.WaitDetails.ScheduledEndTimestamp, w.WaitDetails.ScheduledEndTimestamp) {
				t.Errorf("op %s ScheduledEndTimestamp %v", w.Id, g.WaitDetails.ScheduledEndTimestamp)
			}
			g.WaitDetails.ScheduledEndTimestamp = w.WaitDetails.ScheduledEndTimestamp
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("op %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestRoundTripEveryField(t *testing.T) {
	ctx := context.Background()
	svc := durabletest.NewService(durabletest.WithPageSize(3), durabletest.WithStartTime(time.Date(2025, 3, 4, 5, 6, 7, 891e6, time.UTC)))
	c := newClient(t, svc)
	arn := svc.StartExecution("round-trip", `{"in":"put"}`)
	in, err := svc.StartInvocation(arn)
	if err != nil {
		t.Fatal(err)
	}
	errObj := &wire.ErrorObject{ErrorType: "MyError", ErrorMessage: "went wrong", ErrorData: `{"code":7}`, StackTrace: []string{"main.f file.go:1", "main.g file.go:2"}}
	updates := []wire.OperationUpdate{
		{Id: "ctx", Name: "parent", Type: wire.TypeContext, SubType: wire.SubTypeRunInChildContext, Action: wire.ActionStart},
		{Id: "s1", ParentId: "ctx", Name: "step one", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionStart},
		{Id: "s1", ParentId: "ctx", Name: "step one", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionSucceed, Payload: `{"ok":true}`},
		{Id: "s2", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionStart},
		{Id: "s2", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionRetry, Error: errObj, StepOptions: &wire.StepOptions{NextAttemptDelaySeconds: 7}},
		{Id: "w", Name: "nap", Type: wire.TypeWait, SubType: wire.SubTypeWait, Action: wire.ActionStart, WaitOptions: &wire.WaitOptions{WaitSeconds: 90}},
		{Id: "cb", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart, CallbackOptions: &wire.CallbackOptions{TimeoutSeconds: 300, HeartbeatTimeoutSeconds: 60}},
		{Id: "inv", Type: wire.TypeChainedInvoke, SubType: wire.SubTypeChainedInvoke, Action: wire.ActionStart, Payload: `"x"`, ChainedInvokeOptions: &wire.ChainedInvokeOptions{FunctionName: "other:1", TenantId: "t1"}},
		{Id: "ctx2", Type: wire.TypeContext, SubType: wire.SubTypeMap, Action: wire.ActionStart},
		{Id: "ctx2", Type: wire.TypeContext, SubType: wire.SubTypeMap, Action: wire.ActionSucceed, Payload: "summary", ContextOptions: &wire.ContextOptions{ReplayChildren: true}},
		{Id: "ctx3", Type: wire.TypeContext, Action: wire.ActionStart},
		{Id: "ctx3", Type: wire.TypeContext, Action: wire.ActionFail, Error: errObj},
	}
	resp, err := c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken, Updates: updates})
	if err != nil {
		t.Fatal(err)
	}
	if resp.CheckpointToken == "" || resp.CheckpointToken == in.CheckpointToken || resp.NewExecutionState == nil {
		t.Fatalf("response %+v", resp)
	}
	all, _ := svc.Operations(arn)
	// Checkpoint answer: the 8 touched operations, in pages of 3.
	got := resp.NewExecutionState.Operations
	for marker := resp.NewExecutionState.NextMarker; marker != ""; {
		page, err := c.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: arn, CheckpointToken: resp.CheckpointToken, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Operations...)
		marker = page.NextMarker
	}
	sameOps(t, got, all[1:])
	// Full state, paginated.
	var state []wire.Operation
	marker := ""
	for {
		page, err := c.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: arn, CheckpointToken: resp.CheckpointToken, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		state = append(state, page.Operations...)
		if marker = page.NextMarker; marker == "" {
			break
		}
	}
	sameOps(t, state, all)
	// Spot checks of service-assigned fields.
	byID := map[string]wire.Operation{}
	for _, op := range state {
		byID[op.Id] = op
	}
	if d := byID["s2"].StepDetails; d.Attempt != 1 || !reflect.DeepEqual(d.Error, errObj) || d.NextAttemptTimestamp.IsZero() || byID["s2"].Status != wire.StatusPending {
		t.Errorf("s2 %+v", d)
	}
	if byID["cb"].CallbackDetails.CallbackId == "" || !byID["ctx2"].ContextDetails.ReplayChildren || byID["inv"].Status != wire.StatusStarted {
		t.Errorf("service-assigned fields missing: %+v %+v", byID["cb"].CallbackDetails, byID["ctx2"].ContextDetails)
	}
	if byID[all[0].Id].ExecutionDetails.InputPayload != `{"in":"put"}` {
		t.Errorf("execution %+v", byID[all[0].Id])
	}
}

func TestUpdateConversionEveryField(t *testing.T) {
	u := wire.OperationUpdate{
		Id: "a", ParentId: "p", Name: "n", Type: wire.TypeStep, SubType: "Step", Action: wire.ActionRetry, Payload: "pl",
		Error:                &wire.ErrorObject{ErrorType: "T", ErrorMessage: "M", ErrorData: "D", StackTrace: []string{"s"}},
		StepOptions:          &wire.StepOptions{NextAttemptDelaySeconds: 3},
		WaitOptions:          &wire.WaitOptions{WaitSeconds: 4},
		CallbackOptions:      &wire.CallbackOptions{TimeoutSeconds: 5, HeartbeatTimeoutSeconds: 6},
		ChainedInvokeOptions: &wire.ChainedInvokeOptions{FunctionName: "f", TenantId: "t"},
		ContextOptions:       &wire.ContextOptions{ReplayChildren: true},
	}
	sdk := lambdaclient.UpdateToSDK(&u)
	if back := lambdaclient.UpdateFromSDK(&sdk); !reflect.DeepEqual(back, u) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, u)
	}
	// Every field of the SDK struct is set.
	v := reflect.ValueOf(sdk)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.IsExported() && v.Field(i).IsZero() {
			t.Errorf("types.OperationUpdate.%s not set", f.Name)
		}
	}
	now := wire.At(time.Now().UTC())
	op := wire.Operation{Id: "a", ParentId: "p", Name: "n", Type: wire.TypeStep, SubType: "Step", Status: wire.StatusPending, StartTimestamp: now, EndTimestamp: now,
		ExecutionDetails:     &wire.ExecutionDetails{InputPayload: "in"},
		StepDetails:          &wire.StepDetails{Attempt: 2, Result: "r", Error: u.Error, NextAttemptTimestamp: now},
		WaitDetails:          &wire.WaitDetails{ScheduledEndTimestamp: now},
		CallbackDetails:      &wire.CallbackDetails{CallbackId: "cb", Result: "r", Error: u.Error},
		ChainedInvokeDetails: &wire.ChainedInvokeDetails{Result: "r", Error: u.Error},
		ContextDetails:       &wire.ContextDetails{Result: "r", Error: u.Error, ReplayChildren: true},
	}
	sop := lambdaclient.OperationToSDK(&op)
	back := lambdaclient.OperationFromSDK(&sop)
	if !reflect.DeepEqual(back, op) {
		t.Errorf("operation round trip:\n got %+v\nwant %+v", back, op)
	}
	sv := reflect.ValueOf(sop)
	for i := 0; i < sv.NumField(); i++ {
		if f := sv.Type().Field(i); f.IsExported() && sv.Field(i).IsZero() {
			t.Errorf("types.Operation.%s not set", f.Name)
		}
	}
	_ = types.OperationTypeStep
}

func TestErrorsAsTheSDKProducesThem(t *testing.T) {
	ctx := context.Background()
	svc := durabletest.NewService()
	c := newClient(t, svc)
	arn := svc.StartExecution("errors", `{}`)
	in, _ := svc.StartInvocation(arn)

	// Stale token.
	_, err := c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: "c3RhbGU=", Updates: nil})
	var ipve *types.InvalidParameterValueException
	if !errors.As(err, &ipve) || !strings.HasPrefix(ipve.ErrorMessage(), "Invalid checkpoint token") {
		t.Fatalf("stale token: %v", err)
	}
	var api smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValueException" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("stale token error chain: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "lambdaclient: CheckpointDurableExecution: ") {
		t.Errorf("no context: %v", err)
	}

	// Validation before state: a 0-second wait.
	_, err = c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken, Updates: []wire.OperationUpdate{
		{Id: "w", Type: wire.TypeWait, Action: wire.ActionStart, WaitOptions: &wire.WaitOptions{WaitSeconds: 0}},
	}})
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !strings.Contains(api.ErrorMessage(), "'updates.1.member.waitOptions.waitSeconds'") {
		t.Errorf("validation: %v", err)
	}
	// Unknown execution.
	_, err = c.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: arn + "x", CheckpointToken: in.CheckpointToken})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || !errors.As(err, &re) || re.HTTPStatusCode() != 404 {
		t.Errorf("not found: %v", err)
	}
	// A rejected call leaves the token valid.
	if _, err := c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken}); err != nil {
		t.Errorf("poll after rejected call: %v", err)
	}
}

// The control-plane routes the server also serves: GetDurableExecution,
// GetDurableExecutionHistory and the callback APIs, through the real SDK.
func TestControlPlaneRoutes(t *testing.T) {
	ctx := context.Background()
	svc := durabletest.NewService(durabletest.WithStartTime(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)))
	c := newClient(t, svc)
	api := c.API()
	arn := svc.StartExecution("ctl", `{"x":1}`)
	in, _ := svc.StartInvocation(arn)
	resp, err := c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken, Updates: []wire.OperationUpdate{
		{Id: "cb", Name: "approve", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart, CallbackOptions: &wire.CallbackOptions{HeartbeatTimeoutSeconds: 60}},
		{Id: "cb2", Type: wire.TypeCallback, SubType: wire.SubTypeCallback, Action: wire.ActionStart},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cbID := resp.NewExecutionState.Operations[0].CallbackDetails.CallbackId
	cb2 := resp.NewExecutionState.Operations[1].CallbackDetails.CallbackId
	if _, err := api.SendDurableExecutionCallbackHeartbeat(ctx, &lambda.SendDurableExecutionCallbackHeartbeatInput{CallbackId: aws.String(cbID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.SendDurableExecutionCallbackSuccess(ctx, &lambda.SendDurableExecutionCallbackSuccessInput{CallbackId: aws.String(cbID), Result: []byte(`{"ok":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.SendDurableExecutionCallbackFailure(ctx, &lambda.SendDurableExecutionCallbackFailureInput{CallbackId: aws.String(cb2), Error: &types.ErrorObject{ErrorType: aws.String("Denied"), ErrorMessage: aws.String("no")}}); err != nil {
		t.Fatal(err)
	}
	_, err = api.SendDurableExecutionCallbackSuccess(ctx, &lambda.SendDurableExecutionCallbackSuccessInput{CallbackId: aws.String(cbID), Result: []byte(`1`)})
	var cte *types.CallbackTimeoutException
	if !errors.As(err, &cte) {
		t.Errorf("second completion: %v", err)
	}
	// The poll delivers both.
	resp, err = c.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: resp.CheckpointToken})
	if err != nil {
		t.Fatal(err)
	}
	if ops := resp.NewExecutionState.Operations; len(ops) != 2 || ops[0].CallbackDetails.Result != `{"ok":1}` || ops[1].CallbackDetails.Error.ErrorType != "Denied" {
		t.Fatalf("poll: %+v", ops)
	}
	out, _ := json.Marshal(wire.InvocationOutput{Status: wire.InvocationSucceeded, Result: `"done"`})
	svc.CompleteInvocation(arn, out, nil)

	ex, err := api.GetDurableExecution(ctx, &lambda.GetDurableExecutionInput{DurableExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != types.ExecutionStatusSucceeded || aws.ToString(ex.Result) != `"done"` || aws.ToString(ex.InputPayload) != `{"x":1}` ||
		aws.ToString(ex.DurableExecutionName) != "ctl" || !ex.StartTimestamp.Equal(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)) || ex.EndTimestamp == nil {
		t.Errorf("GetDurableExecution %+v", ex)
	}
	hist, err := api.GetDurableExecutionHistory(ctx, &lambda.GetDurableExecutionHistoryInput{DurableExecutionArn: aws.String(arn), MaxItems: 4})
	if err != nil {
		t.Fatal(err)
	}
	events := hist.Events
	for m := hist.NextMarker; m != nil; {
		page, err := api.GetDurableExecutionHistory(ctx, &lambda.GetDurableExecutionHistoryInput{DurableExecutionArn: aws.String(arn), MaxItems: 4, Marker: m})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
		m = page.NextMarker
	}
	want, _ := svc.History(arn)
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i, ev := range events {
		w := want[i]
		if string(ev.EventType) != string(w.EventType) || aws.ToInt32(ev.EventId) != int32(w.EventId) || !ev.EventTimestamp.Equal(w.EventTimestamp) || aws.ToString(ev.Id) != w.Id {
			t.Errorf("event %d: %+v, want %+v", i, ev, w)
		}
	}
	if d := events[1].CallbackStartedDetails; d == nil || aws.ToInt32(d.HeartbeatTimeout) != 60 || aws.ToString(d.CallbackId) != cbID {
		t.Errorf("CallbackStarted %+v", d)
	}
	if d := events[3].CallbackSucceededDetails; d == nil || aws.ToString(d.Result.Payload) != `{"ok":1}` {
		t.Errorf("CallbackSucceeded %+v", events[3])
	}
	if d := events[5].InvocationCompletedDetails; d == nil || aws.ToString(d.RequestId) == "" || d.StartTimestamp == nil {
		t.Errorf("InvocationCompleted %+v", d)
	}
}

// NewFromConfig reads the endpoint, region and credentials from the
// environment, as a function process does.
func TestNewFromConfigUsesEnvironment(t *testing.T) {
	svc := durabletest.NewService()
	srv, err := durabletest.NewServer(svc)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL())
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	ctx := context.Background()
	c, err := lambdaclient.NewFromConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.API().Options().Region; r != "eu-central-1" {
		t.Errorf("region %q", r)
	}
	arn := svc.StartExecution("env", `{}`)
	in, _ := svc.StartInvocation(arn)
	st, err := c.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Operations) != 1 || st.Operations[0].Type != wire.TypeExecution {
		t.Errorf("state %+v", st)
	}
}

// losingTransport passes requests to the server but, for the first
// checkpoint call, throws the server's answer away and reports the
// connection closed, as a reset connection does after the service has
// applied the call.
type losingTransport struct {
	base         http.RoundTripper
	lost         bool
	clientTokens []string
}

func (lt *losingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/checkpoint") {
		return lt.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var sent struct{ ClientToken string }
	json.Unmarshal(body, &sent)
	lt.clientTokens = append(lt.clientTokens, sent.ClientToken)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := lt.base.RoundTrip(req)
	if err != nil || lt.lost {
		return resp, err
	}
	lt.lost = true
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
}

// The SDK repeats a checkpoint call whose answer was lost with the same
// ClientToken and the token the first attempt consumed. The service
// recognizes the repeat and answers it as the first attempt was answered,
// so the invocation goes on instead of failing on a stale token, and the
// update is applied once.
func TestRepeatedCheckpointAfterLostAnswer(t *testing.T) {
	svc := durabletest.NewService()
	srv, err := durabletest.NewServer(svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	lt := &losingTransport{base: http.DefaultTransport}
	client := lambdaclient.New(lambda.New(lambda.Options{
		BaseEndpoint:     aws.String(srv.URL()),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		HTTPClient:       &http.Client{Transport: lt},
		RetryMaxAttempts: 3,
	}))
	arn := svc.StartExecution("lost-answer", `{}`)
	in, err := svc.StartInvocation(arn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resp, err := client.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken, Updates: []wire.OperationUpdate{
		{Id: "s1", Name: "charge", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionStart},
		{Id: "s1", Name: "charge", Type: wire.TypeStep, SubType: wire.SubTypeStep, Action: wire.ActionSucceed, Payload: `"ok"`},
	}})
	if err != nil {
		t.Fatalf("checkpoint whose first answer was lost: %v", err)
	}
	if !lt.lost || len(lt.clientTokens) != 2 || lt.clientTokens[0] == "" || lt.clientTokens[0] != lt.clientTokens[1] {
		t.Fatalf("want one lost answer and a repeat with the same ClientToken; client tokens sent: %q", lt.clientTokens)
	}
	if resp.CheckpointToken == "" || resp.NewExecutionState == nil || len(resp.NewExecutionState.Operations) == 0 {
		t.Fatalf("the repeat was not answered as the first attempt: %+v", resp)
	}
	// The token of the answer is the current one.
	if _, err := client.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: resp.CheckpointToken, Updates: []wire.OperationUpdate{
		{Id: "w1", Name: "pause", Type: wire.TypeWait, SubType: wire.SubTypeWait, Action: wire.ActionStart, WaitOptions: &wire.WaitOptions{WaitSeconds: 5}},
	}}); err != nil {
		t.Fatalf("checkpoint with the repeated answer's token: %v", err)
	}
	events, err := svc.History(arn)
	if err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for _, e := range events {
		if e.EventType == durabletest.EventStepSucceeded {
			succeeded++
		}
	}
	if succeeded != 1 {
		t.Errorf("%d StepSucceeded events, want 1: the repeat must not apply the update again", succeeded)
	}
	// A repeat is no way around a consumed token once the execution moved on.
	if _, err := client.Checkpoint(ctx, wire.CheckpointRequest{DurableExecutionArn: arn, CheckpointToken: in.CheckpointToken, ClientToken: lt.clientTokens[0]}); err == nil || !strings.Contains(err.Error(), "Invalid checkpoint token") {
		t.Errorf("repeat after the execution moved on: %v, want a stale-token error", err)
	}
}

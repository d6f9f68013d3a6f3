package awsfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// rawPutEvents posts body to the fake with the given target and content
// type, signed only with a placeholder Authorization header.
func rawPutEvents(t *testing.T, e *EventBridge, target, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL()+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20261130/us-east-1/events/aws4_request")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestEventBridgeSpeaksJSON11(t *testing.T) {
	e := NewEventBridge(t)
	entry := `{"Source":"s","DetailType":"d","Detail":"{}"}`
	tests := []struct {
		name, target, contentType, body string
		status                          int
		errType                         string
	}{
		{"wrong target", "AWSEvents.PutRule", "application/x-amz-json-1.1", `{"Entries":[` + entry + `]}`, 400, "UnknownOperationException"},
		{"JSON 1.0 content type", "AWSEvents.PutEvents", "application/x-amz-json-1.0", `{"Entries":[` + entry + `]}`, 400, "SerializationException"},
		{"no entries", "AWSEvents.PutEvents", "application/x-amz-json-1.1", `{"Entries":[]}`, 400, "ValidationException"},
		{"eleven entries", "AWSEvents.PutEvents", "application/x-amz-json-1.1", `{"Entries":[` + strings.Repeat(entry+",", 10) + entry + `]}`, 400, "ValidationException"},
		{"over 256 KB", "AWSEvents.PutEvents", "application/x-amz-json-1.1", `{"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"x\":\"` + strings.Repeat("x", 256*1024) + `\"}"}]}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := rawPutEvents(t, e, tt.target, tt.contentType, tt.body)
			if status != tt.status || out["__type"] != tt.errType {
				t.Errorf("status %d body %v, want %d %s", status, out, tt.status, tt.errType)
			}
		})
	}
	if len(e.Events()) != 0 {
		t.Errorf("refused requests recorded events: %+v", e.Events())
	}
}

func TestEventBridgeEntryFailures(t *testing.T) {
	e := NewEventBridge(t)
	client := eventbridge.NewFromConfig(ClientConfig(e.URL()))
	e.FailEntries(EntryFault{Code: "ThrottlingException", Message: "Rate exceeded"})
	out, err := client.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{"a":1}`)},
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`not json`)},
		{Source: aws.String("s"), Detail: aws.String(`{}`)},
		{Source: aws.String("s"), DetailType: aws.String(strings.Repeat("d", 129)), Detail: aws.String(`{}`)},
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{"b":2}`), EventBusName: aws.String("default")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]string, len(out.Entries))
	for i, en := range out.Entries {
		codes[i] = aws.ToString(en.ErrorCode)
		if (codes[i] == "") == (aws.ToString(en.EventId) == "") {
			t.Errorf("entry %d: event id %q with error %q; want exactly one", i, aws.ToString(en.EventId), codes[i])
		}
	}
	want := []string{"ThrottlingException", "MalformedDetail", "InvalidArgument", "InvalidArgument", ""}
	if strings.Join(codes, ",") != strings.Join(want, ",") || out.FailedEntryCount != 4 {
		t.Errorf("codes %v, failed %d; want %v, 4", codes, out.FailedEntryCount, want)
	}
	if evs := e.Events(); len(evs) != 1 || string(evs[0].Detail) != `{"b":2}` || !evs[0].Delivered {
		t.Errorf("events %+v", evs)
	}
}

package durable

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// decodeInvocation sizes the operations slice from a byte count; whatever
// the count says, the decoded payload must be what encoding/json decodes.
func TestDecodeInvocationMatchesPlainDecoding(t *testing.T) {
	tests := []struct {
		name, payload string
	}{
		{"two operations", `{"DurableExecutionArn":"arn","CheckpointToken":"t","InitialExecutionState":{"Operations":[` +
			`{"Id":"e","Type":"EXECUTION","Status":"STARTED","StartTimestamp":1772693228000,"ExecutionDetails":{"InputPayload":"{}"}},` +
			`{"Id":"s","ParentId":"p","Name":"n","Type":"STEP","SubType":"Step","Status":"SUCCEEDED","StepDetails":{"Result":"1"}}],"NextMarker":"m"}}`},
		{"a result that looks like more ids", `{"DurableExecutionArn":"arn","CheckpointToken":"t","InitialExecutionState":{"Operations":[` +
			`{"Id":"s","Type":"STEP","Status":"SUCCEEDED","StepDetails":{"Result":"{\"Id\":1,\"Id\":2}"}}]}}`},
		{"spaces the count does not see", `{"DurableExecutionArn":"arn","CheckpointToken":"t","InitialExecutionState":{"Operations":[` +
			`{"Id" : "a","Type":"STEP"},{"Id" : "b","Type":"STEP"},{"Id" : "c","Type":"WAIT"}]}}`},
		{"no operations", `{"DurableExecutionArn":"arn","CheckpointToken":"t","InitialExecutionState":{"Operations":[]}}`},
		{"null operations", `{"DurableExecutionArn":"arn","CheckpointToken":"t","InitialExecutionState":{"Operations":null}}`},
		{"updated ids only", `{"DurableExecutionArn":"arn","CheckpointToken":"t","UpdatedOperationIds":["a","b"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeInvocation([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			var plain wire.InvocationInput
			if err := json.Unmarshal([]byte(tt.payload), &plain); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, plain) {
				t.Fatalf("decodeInvocation:\n%+v\nencoding/json:\n%+v", got, plain)
			}
		})
	}
}

func TestDecodeInvocationRejectsWhatEncodingJSONRejects(t *testing.T) {
	for _, payload := range []string{``, `[]`, `{"InitialExecutionState":{"Operations":[{"Id":1}]}}`, `{"DurableExecutionArn":`} {
		if _, err := decodeInvocation([]byte(payload)); err == nil {
			t.Errorf("%q decoded without an error", payload)
		}
	}
}

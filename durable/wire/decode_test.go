//go:build goexperiment.jsonv2

package wire

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// operationSamples are operations as the service sends them, and in every
// form the fast path hands over to reflection.
var operationSamples = []string{
	`{"Id":"c4ca4238a0b92382","Name":"step","Type":"STEP","SubType":"Step","Status":"SUCCEEDED","StartTimestamp":1772693228000,"EndTimestamp":1772693228123,"StepDetails":{"Attempt":2,"Result":"42","NextAttemptTimestamp":1772693229000}}`,
	`{"Id":"e","Type":"EXECUTION","Status":"STARTED","StartTimestamp":1772693228000,"ExecutionDetails":{"InputPayload":"{\"a\":1}"}}`,
	`{"Id":"w","ParentId":"p","Type":"WAIT","SubType":"Wait","Status":"STARTED","WaitDetails":{"ScheduledEndTimestamp":1772693238000}}`,
	`{"Id":"c","Type":"CONTEXT","SubType":"Map","Status":"FAILED","ContextDetails":{"Error":{"ErrorType":"E","ErrorMessage":"m"},"ReplayChildren":true}}`,
	`{"Id":"cb","Type":"CALLBACK","Status":"PENDING","CallbackDetails":{"CallbackId":"x"},"ChainedInvokeDetails":{"Result":"r"}}`,
	`{"Id":"s","Type":"STEP","Status":"FAILED","StepDetails":{"Error":{"ErrorType":"E","ErrorMessage":"boom","StackTrace":["a","b"]}}}`,
	// escapes, non-ASCII, control characters
	`{"Id":"a\"b","Name":"caf\u00e9","Type":"STEP","Status":"SUCCEEDED","StepDetails":{"Result":"\"quoted\"\n"}}`,
	`{"Id":"a","Name":"日本","Type":"ST\u0045P","Status":"SUCCEEDED","StepDetails":{"Result":"ü"}}`,
	// timestamps in other forms
	`{"Id":"t","StartTimestamp":1772693228000.5,"EndTimestamp":"2026-03-05T06:47:08Z","StepDetails":{"NextAttemptTimestamp":"1772693228000"}}`,
	`{"Id":"t","StartTimestamp":null,"EndTimestamp":-5,"StepDetails":{"NextAttemptTimestamp":{"x":1}}}`,
	`{"Id":"t","StartTimestamp":123456789012345678901234}`,
	// names in other case, unknown and repeated members, nulls
	`{"id":"lower","TYPE":"STEP","status":"READY","stepdetails":{"result":"1"},"Extra":[1,{"a":null}],"Id":"again"}`,
	`{"Id":null,"Name":"n","StepDetails":null,"Type":null}`,
	`{"Id":"x","StepDetails":{"Result":null,"Attempt":"3"}}`,
	`{"\u0049d":"escaped name"}`,
	`{}`,
	`null`,
	// wrong kinds: errors, as encoding/json reports them
	`{"Id":1}`,
	`{"Type":true}`,
	`{"StepDetails":[]}`,
	`{"StepDetails":{"Result":7}}`,
	`[]`,
	`"op"`,
}

// The fast decoder must agree with reflection (the same struct without the
// decoding methods) on every sample: the value and whether it fails.
func TestOperationDecodesAsReflectionDoes(t *testing.T) {
	for _, sample := range operationSamples {
		checkOperationDecoding(t, sample)
	}
}

func FuzzOperationDecodesAsReflectionDoes(f *testing.F) {
	for _, s := range operationSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sample string) { checkOperationDecoding(t, sample) })
}

// reflectOperation is Operation decoded by reflection alone: its step
// details have no decoding method either.
type reflectOperation struct {
	Id                   string                `json:"Id"`
	ParentId             string                `json:"ParentId,omitempty"`
	Name                 string                `json:"Name,omitempty"`
	Type                 OperationType         `json:"Type"`
	SubType              string                `json:"SubType,omitempty"`
	Status               OperationStatus       `json:"Status"`
	StartTimestamp       Timestamp             `json:"StartTimestamp,omitzero"`
	EndTimestamp         Timestamp             `json:"EndTimestamp,omitzero"`
	ExecutionDetails     *ExecutionDetails     `json:"ExecutionDetails,omitempty"`
	StepDetails          *stepDetailsFields    `json:"StepDetails,omitempty"`
	WaitDetails          *WaitDetails          `json:"WaitDetails,omitempty"`
	CallbackDetails      *CallbackDetails      `json:"CallbackDetails,omitempty"`
	ChainedInvokeDetails *ChainedInvokeDetails `json:"ChainedInvokeDetails,omitempty"`
	ContextDetails       *ContextDetails       `json:"ContextDetails,omitempty"`
}

func (r reflectOperation) operation() Operation {
	op := Operation{Id: r.Id, ParentId: r.ParentId, Name: r.Name, Type: r.Type, SubType: r.SubType, Status: r.Status,
		StartTimestamp: r.StartTimestamp, EndTimestamp: r.EndTimestamp, ExecutionDetails: r.ExecutionDetails,
		WaitDetails: r.WaitDetails, CallbackDetails: r.CallbackDetails, ChainedInvokeDetails: r.ChainedInvokeDetails, ContextDetails: r.ContextDetails}
	if r.StepDetails != nil {
		d := StepDetails(*r.StepDetails)
		op.StepDetails = &d
	}
	return op
}

func checkOperationDecoding(t *testing.T, sample string) {
	t.Helper()
	var fast Operation
	fastErr := json.Unmarshal([]byte(sample), &fast)
	var slow reflectOperation
	slowErr := json.Unmarshal([]byte(sample), &slow)
	if (fastErr == nil) != (slowErr == nil) {
		t.Fatalf("%s:\nfast error       %v\nreflection error %v", sample, fastErr, slowErr)
	}
	if fastErr != nil {
		return
	}
	if want := slow.operation(); !reflect.DeepEqual(fast, want) {
		t.Fatalf("%s:\nfast       %+v\nreflection %+v", sample, fast, want)
	}
}

// BenchmarkDecodeOperations decodes the operations of a replay payload:
// 1,000 completed steps, as the service sends them. "methods" is the
// decoder the runtime uses; "reflection" is encoding/json on the same
// fields without the decoding methods.
func BenchmarkDecodeOperations(b *testing.B) {
	ops := make([]Operation, 1000)
	for i := range ops {
		ops[i] = Operation{Id: fmt.Sprintf("%016x", i*7919), Name: "step", Type: TypeStep, SubType: SubTypeStep, Status: StatusSucceeded,
			StartTimestamp: At(time.UnixMilli(1772693228000)), EndTimestamp: At(time.UnixMilli(1772693228123)),
			StepDetails: &StepDetails{Result: strconv.Itoa(i)}}
	}
	payload, err := json.Marshal(ops)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("methods", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]Operation, 0, len(ops))
			if err := json.Unmarshal(payload, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reflection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]reflectOperation, 0, len(ops))
			if err := json.Unmarshal(payload, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

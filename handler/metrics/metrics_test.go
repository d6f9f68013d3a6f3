package metrics_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bedrockvideo/pipeline/handler/metrics"
)

func TestEmitWritesValidEMF(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 3, 30, 250e6, time.UTC)
	tests := []struct {
		name     string
		by       metrics.Dimension
		values   []metrics.Value
		wantDims [][]string
	}{
		{"total only", metrics.Dimension{},
			[]metrics.Value{{metrics.JobsSucceeded, metrics.Count, 1}, {metrics.GenerationSeconds, metrics.Seconds, 210.5}},
			[][]string{{"FunctionName"}}},
		{"by error type", metrics.Dimension{Name: metrics.DimErrorType, Value: "InvalidJob"},
			[]metrics.Value{{metrics.JobsFailed, metrics.Count, 1}},
			[][]string{{"FunctionName"}, {"FunctionName", "ErrorType"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil)).With("messageId", "m-1")
			metrics.Emitter{Namespace: "Team/Video", FunctionName: "video-fn"}.Emit(context.Background(), log, at, tt.by, tt.values...)
			docs, err := metrics.DecodeLog(buf.Bytes())
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if len(docs) != 1 {
				t.Fatalf("%d documents in %s", len(docs), buf.String())
			}
			d := docs[0]
			if d.Namespace != "Team/Video" || !d.Timestamp.Equal(at.Truncate(time.Millisecond)) || d.Root["FunctionName"] != "video-fn" || d.Root["messageId"] != "m-1" {
				t.Errorf("document %+v", d)
			}
			if !slices.EqualFunc(d.Dimensions, tt.wantDims, slices.Equal) {
				t.Errorf("dimensions %v, want %v", d.Dimensions, tt.wantDims)
			}
			for _, v := range tt.values {
				if d.Values[v.Name] != v.Value || d.Units[v.Name] != v.Unit {
					t.Errorf("%s = %v %s, want %v %s", v.Name, d.Values[v.Name], d.Units[v.Name], v.Value, v.Unit)
				}
			}
			if tt.by.Name != "" && d.Root[tt.by.Name] != tt.by.Value {
				t.Errorf("%s = %v", tt.by.Name, d.Root[tt.by.Name])
			}
		})
	}
}

func TestEmitNothingWithoutValues(t *testing.T) {
	var buf bytes.Buffer
	metrics.Emitter{Namespace: "N", FunctionName: "f"}.Emit(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), time.Now(), metrics.Dimension{})
	if buf.Len() != 0 {
		t.Errorf("wrote %s", buf.String())
	}
}

func TestDecodeRejectsBrokenDocuments(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"no timestamp", `{"_aws":{"CloudWatchMetrics":[]}}`, "Timestamp is required"},
		{"no directives", `{"_aws":{"Timestamp":1}}`, "CloudWatchMetrics is required"},
		{"dimension without value", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"X","Unit":"Count"}]}]},"X":1}`, `dimension "FunctionName" has no string value`},
		{"metric without value", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"X","Unit":"Count"}]}]},"X":"1"}`, `metric "X" has no numeric value`},
		{"unknown unit", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"X","Unit":"Jobs"}]}]},"X":1}`, `unit "Jobs"`},
		{"no namespace", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"X"}]}]},"X":1}`, "Namespace must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := metrics.Decode([]byte(tt.line))
			if !ok || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ok %v, error %v, want %q", ok, err, tt.want)
			}
		})
	}
	if _, ok, err := metrics.Decode([]byte(`{"msg":"job started"}`)); ok || err != nil {
		t.Errorf("plain log line: ok %v err %v", ok, err)
	}
}

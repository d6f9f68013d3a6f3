// Package metrics writes the handler's CloudWatch metrics as log lines in
// the CloudWatch embedded metric format (EMF): CloudWatch Logs extracts
// the metrics from the function's JSON log lines, so recording a metric
// costs no API call and no latency. Lines go through the durable runtime's
// replay-aware logger, so a metric is written once, by the invocation that
// first runs the code, and not again on replay.
//
// Format: "Specification: Embedded metric format" in the Amazon CloudWatch
// user guide. A document is a JSON object whose "_aws" member holds
// Timestamp (milliseconds since the epoch) and CloudWatchMetrics, a list of
// directives {Namespace, Dimensions (lists of dimension names), Metrics
// ({Name, Unit})}; every dimension and metric named there is a member of
// the root object with its value.
package metrics

import (
	"context"
	"log/slog"
	"time"
)

// Unit is a CloudWatch unit.
type Unit string

// Units the handler uses.
const (
	Count   Unit = "Count"
	Seconds Unit = "Seconds"
)

// Metric names, in the namespace METRICS_NAMESPACE.
const (
	// JobsStarted counts Bedrock jobs started (not re-attached ones).
	JobsStarted = "JobsStarted"
	// JobsSucceeded counts jobs that ended with a video.
	JobsSucceeded = "JobsSucceeded"
	// JobsFailed counts jobs that ended without one; also by ErrorType.
	JobsFailed = "JobsFailed"
	// WaitingForCapacity counts records of a batch deferred because
	// Bedrock had no free capacity before the execution's budget ran out
	// (written on the batch's "batch done" line).
	WaitingForCapacity = "WaitingForCapacity"
	// Redelivered counts records of a batch reported for redelivery: no
	// outcome yet (waiting for capacity, or the job still running).
	Redelivered = "Redelivered"
	// GenerationSeconds is the time from submitting a job to Bedrock
	// finishing it, for jobs with a video.
	GenerationSeconds = "GenerationSeconds"
	// DetectionDelaySeconds is the time from Bedrock finishing a job to
	// the check that saw it.
	DetectionDelaySeconds = "DetectionDelaySeconds"
	// ChecksPerJob is the number of GetAsyncInvoke checks of a finished
	// job.
	ChecksPerJob = "ChecksPerJob"
	// QuotaWaits counts start rounds refused for capacity (the admission
	// check finding the concurrent-job quota in use, or Bedrock's quota or
	// throttling answer), each followed by a durable wait and another
	// round; also by Reason.
	QuotaWaits = "QuotaWaits"
)

// Dimension names. Every metric has FunctionName; some also have a
// second set with one more dimension.
const (
	DimFunctionName = "FunctionName"
	DimErrorType    = "ErrorType"
	DimReason       = "Reason"
)

// Value is one metric value.
type Value struct {
	Name  string
	Unit  Unit
	Value float64
}

// Dimension is a dimension name and its value.
type Dimension struct {
	Name, Value string
}

// Emitter writes EMF documents for one function into one namespace.
type Emitter struct {
	// Namespace is the CloudWatch namespace of every metric.
	Namespace string
	// FunctionName is the value of the FunctionName dimension.
	FunctionName string
}

// directive is a MetricDirective of the EMF specification.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

// definition is a MetricDefinition of the EMF specification.
type definition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// Emit writes one EMF document with values at time at through log, at
// INFO, as a line of its own ("metrics"). The metrics have the
// FunctionName dimension and, when by is set, a second dimension set
// {FunctionName, by.Name}, so they can be read in total and broken down.
// Emit writes nothing without values.
func (e Emitter) Emit(ctx context.Context, log *slog.Logger, at time.Time, by Dimension, values ...Value) {
	if len(values) == 0 {
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "metrics", e.Attrs(at, by, values...)...)
}

// Attrs returns the log attributes that make a log line the EMF document
// Emit would write, for a line that also says something else.
func (e Emitter) Attrs(at time.Time, by Dimension, values ...Value) []slog.Attr {
	dims := [][]string{{DimFunctionName}}
	attrs := make([]slog.Attr, 0, len(values)+3)
	attrs = append(attrs, slog.String(DimFunctionName, e.FunctionName))
	if by.Name != "" {
		dims = append(dims, []string{DimFunctionName, by.Name})
		attrs = append(attrs, slog.String(by.Name, by.Value))
	}
	defs := make([]definition, 0, len(values))
	for _, v := range values {
		defs = append(defs, definition{Name: v.Name, Unit: v.Unit})
		attrs = append(attrs, slog.Float64(v.Name, v.Value))
	}
	return append(attrs, slog.Group("_aws",
		slog.Int64("Timestamp", at.UnixMilli()),
		slog.Any("CloudWatchMetrics", []directive{{Namespace: e.Namespace, Dimensions: dims, Metrics: defs}}),
	))
}

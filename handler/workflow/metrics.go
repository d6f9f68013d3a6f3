package workflow

import (
	"log/slog"
	"time"
)

// MetricNamespace is the CloudWatch namespace of the handler's metrics.
const MetricNamespace = "BedrockVideoPipeline"

// Metric names, published once per batch.
const (
	// MetricWaitingForCapacity counts records deferred because Bedrock had
	// no free capacity before the execution's budget ran out.
	MetricWaitingForCapacity = "WaitingForCapacity"
	// MetricRedelivered counts records reported for redelivery (no
	// outcome yet: waiting for capacity, or the job still running).
	MetricRedelivered = "Redelivered"
)

// batchMetrics are the log attributes that make the "batch done" line a
// CloudWatch embedded metric format document ("Specification: Embedded
// metric format", CloudWatch user guide): the _aws metadata names the
// metrics, and the root members of the same names carry their values, so
// CloudWatch Logs extracts them without an API call or extra permission.
func batchMetrics(now time.Time, waiting, redelivered int) []any {
	metric := func(name string) map[string]string { return map[string]string{"Name": name, "Unit": "Count"} }
	return []any{
		slog.Group("_aws",
			slog.Int64("Timestamp", now.UnixMilli()),
			slog.Any("CloudWatchMetrics", []map[string]any{{
				"Namespace":  MetricNamespace,
				"Dimensions": [][]string{{}},
				"Metrics":    []map[string]string{metric(MetricWaitingForCapacity), metric(MetricRedelivered)},
			}}),
		),
		MetricWaitingForCapacity, waiting,
		MetricRedelivered, redelivered,
	}
}

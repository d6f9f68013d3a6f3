package workflow

import (
	"time"

	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// batchMetrics are the log attributes that make the "batch done" line a
// CloudWatch embedded metric format document (package metrics): the
// batch's records deferred for capacity (metrics.WaitingForCapacity) and
// reported for redelivery (metrics.Redelivered), extracted by CloudWatch
// Logs without an API call or extra permission.
func (w *workflow) batchMetrics(now time.Time, waiting, redelivered int) []any {
	attrs := w.deps.Metrics.Attrs(now, metrics.Dimension{},
		metrics.Value{Name: metrics.WaitingForCapacity, Unit: metrics.Count, Value: float64(waiting)},
		metrics.Value{Name: metrics.Redelivered, Unit: metrics.Count, Value: float64(redelivered)},
	)
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

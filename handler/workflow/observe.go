package workflow

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/metrics"
)

// MetricsEmitter writes metrics in cfg's namespace with the FunctionName
// dimension functionName (Lambda's name for the function; "local" when
// empty, outside Lambda).
func MetricsEmitter(cfg config.Config, functionName string) metrics.Emitter {
	if functionName == "" {
		functionName = "local"
	}
	return metrics.Emitter{Namespace: cfg.MetricsNamespace, FunctionName: functionName}
}

// publish sends the completion event of a written result. It runs inside
// the step that writes result.json, so a replay does not send it again; a
// failure (a refused request or a failed entry) fails the step, which
// retries both.
func (w *workflow) publish(sc durable.StepContext, r jobstore.Result) error {
	if w.deps.Events == nil {
		return errors.New("no completion event publisher configured")
	}
	id, err := w.deps.Events.Publish(sc, r)
	if err != nil {
		return err
	}
	sc.Logger().Info("completion event published", "messageId", r.MessageID, "status", r.Status,
		"eventBus", w.deps.Events.Bus(), "eventId", id)
	return nil
}

// The metric helpers below write through replay-aware loggers: a metric is
// written by the invocation that first runs the code and not again when a
// later invocation replays it.

// recordStarted counts a job this execution started on Bedrock; a job
// re-attached through job.json or the request token was counted by the
// execution that started it.
func (w *workflow) recordStarted(ctx durable.Context, log *slog.Logger, started startedJob) {
	if started.Reattached || started.RecoveredByToken {
		return
	}
	w.deps.Metrics.Emit(ctx, log, started.SubmittedAt, metrics.Dimension{},
		metrics.Value{Name: metrics.JobsStarted, Unit: metrics.Count, Value: 1})
}

// recordQuotaWait counts a start round refused for capacity, by reason
// (the admission check finding the quota in use, or Bedrock's quota or
// throttling answer), after which the record waits and tries again.
// Records deferred to their next delivery are counted on the batch's line
// (metrics.WaitingForCapacity).
func (w *workflow) recordQuotaWait(ctx durable.Context, log *slog.Logger, reason string) {
	if reason == "" {
		reason = "Unknown"
	}
	w.deps.Metrics.Emit(ctx, log, w.deps.Now(), metrics.Dimension{Name: metrics.DimReason, Value: reason},
		metrics.Value{Name: metrics.QuotaWaits, Unit: metrics.Count, Value: 1})
}

// recordOutcome writes the metrics of a finished record: succeeded or
// failed (the failure also by error type, in a line of its own so the
// other metrics do not multiply by error type), and for a job Bedrock ran,
// its checks, its generation time (videos only) and how long its end went
// unseen.
func (w *workflow) recordOutcome(ctx durable.Context, log *slog.Logger, out Outcome, r jobstore.Result) {
	completed, err := time.Parse(time.RFC3339Nano, r.CompletedAt)
	if err != nil {
		log.Warn("no metrics for a result without a completion time", "error", fmt.Sprint(err))
		return
	}
	var values []metrics.Value
	switch r.Status {
	case jobstore.StatusSucceeded:
		values = append(values, metrics.Value{Name: metrics.JobsSucceeded, Unit: metrics.Count, Value: 1})
		if submitted, err := time.Parse(time.RFC3339Nano, r.SubmittedAt); err == nil && !completed.Before(submitted) {
			values = append(values, metrics.Value{Name: metrics.GenerationSeconds, Unit: metrics.Seconds, Value: completed.Sub(submitted).Seconds()})
		}
	case jobstore.StatusFailed:
		by := metrics.Dimension{Name: metrics.DimErrorType, Value: "Error"}
		if r.Error != nil && r.Error.Type != "" {
			by.Value = r.Error.Type
		}
		w.deps.Metrics.Emit(ctx, log, completed, by, metrics.Value{Name: metrics.JobsFailed, Unit: metrics.Count, Value: 1})
	default:
		return
	}
	if r.Checks > 0 {
		values = append(values, metrics.Value{Name: metrics.ChecksPerJob, Unit: metrics.Count, Value: float64(r.Checks)})
	}
	if !out.DetectedAt.IsZero() && !out.DetectedAt.Before(completed) {
		values = append(values, metrics.Value{Name: metrics.DetectionDelaySeconds, Unit: metrics.Seconds, Value: out.DetectedAt.Sub(completed).Seconds()})
	}
	w.deps.Metrics.Emit(ctx, log, completed, metrics.Dimension{}, values...)
}

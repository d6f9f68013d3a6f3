package workflow

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/admission"
	"github.com/bedrockvideo/pipeline/handler/jobspec"
)

// StatusWaitingForCapacity is the outcome of a record whose job could not
// start before the execution's budget ran out because Bedrock had no free
// capacity: nothing is written to S3, the record is reported for
// redelivery, and a later delivery starts its one job.
const StatusWaitingForCapacity = "WAITING_FOR_CAPACITY"

// RefusedByAdmission marks a round in which the admission check found the
// model's concurrent-job quota in use, so no start was attempted.
const RefusedByAdmission = "AdmissionFull"

// startAttempt is the checkpointed result of one round of the start step.
type startAttempt struct {
	// Started is set when the record has its job (new or re-attached).
	Started *startedJob `json:"started,omitempty"`
	// Refused says why there is no job yet: RefusedByAdmission, or the
	// capacity error Bedrock answered StartAsyncInvoke with.
	Refused string `json:"refused,omitempty"`
	// InProgress is the number of the model's jobs the admission check
	// found running.
	InProgress int `json:"inProgress,omitempty"`
	// Delay is the wait before the next round, drawn (with its jitter) in
	// the step so that replay waits the same.
	Delay time.Duration `json:"delay,omitempty"`
	// Deferred is set when no further round fits in the budget.
	Deferred bool `json:"deferred,omitempty"`
}

// admitAndStart gives the record its job: it re-attaches to the job
// job.json names, or starts one once admission and Bedrock let it. Capacity
// answers (the admission check finding the quota in use,
// ServiceQuotaExceededException, ThrottlingException) are waited out with
// durable waits while the budget can fit another start; then the record is
// deferred (deferred true, no error). Other retryable errors are retried a
// bounded number of times by the step (Deps.StartRetry); an error returned
// here is the record's failure.
func (w *workflow) admitAndStart(ctx durable.Context, log *slog.Logger, id string, job jobspec.Job, deadline time.Time) (startedJob, bool, error) {
	for round := 1; ; round++ {
		a, err := durable.Step(ctx, "start job", func(sc durable.StepContext) (startAttempt, error) {
			return w.tryStart(sc, id, job, round, deadline)
		}, durable.WithRetry(w.deps.StartRetry))
		if err != nil {
			return startedJob{}, false, err
		}
		switch {
		case a.Started != nil:
			return *a.Started, false, nil
		case a.Deferred:
			log.Warn("no Bedrock capacity before the execution's budget ran out; the record is deferred to its next delivery, nothing was started and no result.json written",
				"status", StatusWaitingForCapacity, "refused", a.Refused, "rounds", round, "inProgress", a.InProgress)
			return startedJob{}, true, nil
		}
		log.Info("waiting for Bedrock capacity", "status", StatusWaitingForCapacity, "refused", a.Refused,
			"round", round, "inProgress", a.InProgress, "delay", a.Delay.String())
		w.recordQuotaWait(ctx, log, a.Refused)
		if err := durable.Wait(ctx, "wait for capacity", a.Delay); err != nil {
			return startedJob{}, false, err
		}
	}
}

// tryStart is one round of the start step: re-attach if job.json exists;
// otherwise, if the admission check finds a free slot, start the job. A
// capacity answer is a result (with the next wait, or the decision to
// defer), not an error, so the step's bounded retry is left to faults.
func (w *workflow) tryStart(sc durable.StepContext, id string, job jobspec.Job, round int, deadline time.Time) (startAttempt, error) {
	if rec, found, err := w.deps.Store.LoadJob(sc, id); err != nil {
		return startAttempt{}, err
	} else if found {
		return startAttempt{Started: &startedJob{
			InvocationArn: rec.InvocationArn, Model: rec.Model, OutputURI: rec.OutputURI,
			SubmittedAt: rec.SubmittedAt, AttachedAt: w.deps.Now().UTC(), Reattached: true,
		}}, nil
	}
	a, err := w.admitted(sc, id, job)
	if err != nil || a.Started != nil {
		return a, err
	}
	delay, ok := admission.Default.Next(round, rand.Float64(), w.deps.Now().UTC(), deadline)
	a.Delay, a.Deferred = delay, !ok
	return a, nil
}

// admitted runs the admission check and, if it passes, the start. The
// records of a batch pass one at a time (the workflow's gate), so a slot
// the check found free is taken by one record, not raced for by all of
// them. The check is advisory: if it fails, the start is tried anyway and
// Bedrock's answer decides.
func (w *workflow) admitted(sc durable.StepContext, id string, job jobspec.Job) (startAttempt, error) {
	w.gate.Lock()
	defer w.gate.Unlock()
	if q := w.deps.Config.ConcurrentJobs; q > 0 {
		n, err := w.deps.Bedrock.CountInProgress(sc, job.Model, q)
		if err != nil {
			sc.Logger().Warn("admission check failed; trying the start", "messageId", id, "error", err.Error())
		} else if n >= q {
			return startAttempt{Refused: RefusedByAdmission, InProgress: n}, nil
		}
	}
	started, err := w.startNew(sc, id, job)
	if err != nil {
		if capacityRefusal(err) {
			typ, _ := errorParts(err)
			return startAttempt{Refused: typ}, nil
		}
		return startAttempt{}, err
	}
	return startAttempt{Started: &started}, nil
}

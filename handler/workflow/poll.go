package workflow

import (
	"errors"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// pollState is the state WaitForCondition checkpoints between checks.
type pollState struct {
	// Checks counts GetAsyncInvoke calls.
	Checks int `json:"checks"`
	// Age is the job's age at the next check, as the schedule counts it:
	// its age when polling began plus the delays scheduled since.
	Age time.Duration `json:"age"`
	// Status is the job's last known status ("" before the first check).
	Status         string    `json:"status,omitempty"`
	FailureMessage string    `json:"failureMessage,omitempty"`
	EndTime        time.Time `json:"endTime,omitzero"`
	// DetectedAt is when the check that saw the job finish ran.
	DetectedAt time.Time `json:"detectedAt,omitzero"`
	// NextDelay is the wait before the next check; zero when polling ends.
	NextDelay time.Duration `json:"nextDelay,omitempty"`
	// Exhausted is set when the budget allows no further check.
	Exhausted bool `json:"exhausted,omitempty"`
	// TransientErrors counts checks that failed with a retryable error.
	TransientErrors int    `json:"transientErrors,omitempty"`
	LastError       string `json:"lastError,omitempty"`
	// VideoKey is the video's key as the completed callback reported it
	// (event-driven completion only).
	VideoKey string `json:"videoKey,omitempty"`
}

func (s pollState) done() bool {
	return s.Status == bedrockjob.StatusCompleted || s.Status == bedrockjob.StatusFailed
}

// awaitJob waits until the job finishes or the budget is spent: a durable
// wait until shortly before the model usually finishes, then
// WaitForCondition polling GetAsyncInvoke on the schedule. A retryable
// error of a check only costs that check; a terminal one (the job is gone,
// access denied) ends the wait with an error.
func (w *workflow) awaitJob(ctx durable.Context, messageID string, started startedJob, videoSeconds int, deadline time.Time) (pollState, error) {
	sched, age0 := schedule(started, videoSeconds, deadline)
	first := sched.First(age0)
	if first >= durable.MinWait {
		if err := durable.Wait(ctx, "await generation", first); err != nil {
			return pollState{}, err
		}
	}
	check := func(sc durable.StepContext, s pollState) (pollState, error) {
		return w.check(sc, sched, messageID, started.InvocationArn, s)
	}
	return durable.WaitForCondition(ctx, "poll job", check, durable.ConditionConfig[pollState]{
		InitialState: pollState{Age: age0 + first},
		WaitStrategy: waitStrategy,
	})
}

// check runs one GetAsyncInvoke and plans the next check.
func (w *workflow) check(sc durable.StepContext, sched pollschedule.Schedule, messageID, arn string, s pollState) (pollState, error) {
	s, err := w.readStatus(sc, messageID, arn, s)
	if err != nil || s.done() {
		return s, err
	}
	d, ok := sched.Next(s.Checks, s.Age)
	if !ok {
		s.NextDelay, s.Exhausted = 0, true
		return s, nil
	}
	s.NextDelay = d
	s.Age += d
	return s, nil
}

// readStatus runs one GetAsyncInvoke and records what it said in s. A
// retryable error only costs the check (counted in TransientErrors); a
// terminal one (the job is gone, access denied) is returned.
func (w *workflow) readStatus(sc durable.StepContext, messageID, arn string, s pollState) (pollState, error) {
	s.Checks++
	s.NextDelay = 0
	st, err := w.deps.Bedrock.Get(sc, arn)
	switch {
	case err == nil:
		s.Status, s.FailureMessage, s.EndTime = st.Status, st.FailureMessage, st.EndTime
		if s.done() {
			s.DetectedAt = w.deps.Now().UTC()
			if s.EndTime.IsZero() {
				s.EndTime = s.DetectedAt
			}
		}
	case bedrockjob.IsRetryable(err):
		s.TransientErrors++
		s.LastError = err.Error()
	default:
		var bErr *bedrockjob.Error
		if errors.As(err, &bErr) {
			return s, bErr
		}
		return s, err
	}
	sc.Logger().Info("job status", "messageId", messageID, "invocationArn", arn, "status", s.Status, "checks", s.Checks, "age", s.Age.String())
	return s, nil
}

// waitStrategy continues while the check planned another one. The plan is
// made in the check (from checkpointed state only), so the strategy is a
// pure function of the state.
func waitStrategy(s pollState, _ int) (durable.WaitDecision, error) {
	if s.done() || s.NextDelay <= 0 {
		return durable.WaitDecision{}, nil
	}
	return durable.WaitDecision{Continue: true, Delay: s.NextDelay}, nil
}

package durable

import (
	"context"
	"log/slog"
	"time"
)

// Context is what a durable handler and its child contexts receive. It is a
// context.Context (cancelled when the invocation ends) that also identifies
// the place in the workflow where each durable operation is recorded, so a
// Context must be used only by the goroutine it was given to.
type Context interface {
	context.Context
	// Logger returns a logger that writes each line once: lines emitted while
	// the code is replaying operations recorded by an earlier invocation are
	// dropped (or, with WithReplayLogMode(ReplayLogEmit), marked
	// replay=true).
	Logger() *slog.Logger
	// IsReplaying reports whether this context is still replaying recorded
	// operations.
	IsReplaying() bool
	// ExecutionArn returns the durable execution's ARN.
	ExecutionArn() string
	// ExecutionStartTime returns when the execution started: the same in
	// every invocation, so it is safe to compute deadlines from.
	ExecutionStartTime() time.Time

	workflow() *scope
}

// StepContext is what a step body receives. It is deliberately not a
// Context: a step body cannot start durable operations.
type StepContext interface {
	context.Context
	// Logger returns a logger tagged with the step's operation id, name and
	// attempt.
	Logger() *slog.Logger
	// Attempt returns the 1-based attempt number of this run of the body.
	Attempt() int
}

package durable

import (
	"log/slog"
	"time"
)

// ReplayLogMode says what Context.Logger does with lines written while the
// code replays operations recorded by an earlier invocation.
type ReplayLogMode int

const (
	// ReplayLogSuppress drops them, so each line is written once, by the
	// invocation that first runs the code (the default).
	ReplayLogSuppress ReplayLogMode = iota
	// ReplayLogEmit writes them too, with the attribute replay=true, so
	// logs show every re-execution of the code.
	ReplayLogEmit
)

// WithReplayLogMode sets what Context.Logger (and StepContext.Logger) do
// with lines written during replay (default ReplayLogSuppress).
func WithReplayLogMode(m ReplayLogMode) Option { return func(o *options) { o.replayLogs = m } }

// ExecutionStartTime returns when the durable execution started, as the
// service recorded it: the same value in every invocation, so workflow
// code may use it (unlike time.Now) to compute deadlines.
func (s *scope) ExecutionStartTime() time.Time { return s.inv.startTime }

// replayAttr marks a line written during replay in ReplayLogEmit mode.
var replayAttr = slog.Bool("replay", true)

package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// replayMode is how a context treats recorded operations.
type replayMode int

const (
	// modeLive: new operations run and are recorded.
	modeLive replayMode = iota
	// modeReplay: operations recorded earlier return their records; the
	// context turns live at the first operation that is not finished.
	modeReplay
	// modeReplaySucceeded: re-running the body of a finished child whose
	// result was too large to record; every inner operation must replay.
	modeReplaySucceeded
)

// scope is one workflow context: the root handler's, a child context's or
// a batch item's. It hands out positional operation ids in program order,
// knows the wire id of its own operation (the ParentId of everything inside
// it), and tracks whether it is still replaying. A scope belongs to one
// goroutine.
type scope struct {
	context.Context
	inv       *invocation
	prefix    string // positional id of this context; "" at the root
	parentID  string // wire id recorded as ParentId of inner operations
	counter   int
	mode      replayMode
	abandoned *atomic.Bool // set when an enclosing batch no longer waits
	logger    *slog.Logger
}

func (s *scope) workflow() *scope { return s }

// Logger returns the context's replay-aware logger.
func (s *scope) Logger() *slog.Logger {
	if s.logger == nil {
		s.logger = slog.New(&replayFilter{next: s.inv.logHandler, replaying: s.IsReplaying, emit: s.inv.replayLogs == ReplayLogEmit})
	}
	return s.logger
}

// IsReplaying reports whether the context is replaying recorded operations.
func (s *scope) IsReplaying() bool { return s.mode != modeLive }

// ExecutionArn returns the durable execution's ARN.
func (s *scope) ExecutionArn() string { return s.inv.arn }

// claim returns the positional id of the context's next operation.
func (s *scope) claim() string {
	s.counter++
	if s.prefix == "" {
		return strconv.Itoa(s.counter)
	}
	return s.prefix + "-" + strconv.Itoa(s.counter)
}

// child makes the scope of a child context with positional id id, whose
// own operation has wire id recordedAs ("" for a virtual child, whose inner
// operations belong to this scope's operation).
func (s *scope) child(id, recordedAs string, mode replayMode) *scope {
	parent := recordedAs
	if parent == "" {
		parent = s.parentID
	}
	return &scope{Context: s.Context, inv: s.inv, prefix: id, parentID: parent, mode: mode, abandoned: s.abandoned}
}

func (s *scope) isAbandoned() bool { return s.abandoned != nil && s.abandoned.Load() }

// usable reports why no new operation may start in this scope, if so.
func (s *scope) usable() error {
	if s.isAbandoned() {
		return errAbandoned
	}
	if err := s.inv.cp.haltCause(); err != nil {
		return userError(err)
	}
	return s.Err()
}

// claimWire claims the next operation id, like claim, and returns only its
// wire id: the positional id is built on the stack, not allocated.
func (s *scope) claimWire() string {
	s.counter++
	var buf [64]byte
	b := append(buf[:0], s.prefix...)
	if s.prefix != "" {
		b = append(b, '-')
	}
	return wireIDOf(strconv.AppendInt(b, int64(s.counter), 10))
}

// lookup returns the record of the operation with positional id id,
// checking it against what the code asks for now (§6.4). In a live
// context, or at the first operation without a record, the context is
// live.
func (s *scope) lookup(id string, typ wire.OperationType, subType, name string) (wid string, op wire.Operation, found bool, err error) {
	return s.lookupWire(wireID(id), typ, subType, name)
}

// lookupWire is lookup by wire id.
func (s *scope) lookupWire(wid string, typ wire.OperationType, subType, name string) (_ string, op wire.Operation, found bool, err error) {
	op, found = s.inv.store.get(wid)
	if !found {
		if s.mode == modeReplaySucceeded {
			return wid, op, false, s.inv.stop(&NonDeterministicError{ID: wid, Recorded: "no operation (the finished child recorded fewer)", Current: describe(typ, subType, name)})
		}
		s.mode = modeLive
		return wid, op, false, nil
	}
	if op.Type != "" && (op.Type != typ || (subType != "" && op.SubType != subType) || op.Name != name) {
		return wid, op, true, s.inv.stop(&NonDeterministicError{ID: wid, Recorded: describe(op.Type, op.SubType, op.Name), Current: describe(typ, subType, name)})
	}
	return wid, op, true, nil
}

func describe(typ wire.OperationType, subType, name string) string {
	return fmt.Sprintf("(type %s, subtype %q, name %q)", typ, subType, name)
}

// resumed marks the point where recorded history ends: an operation that
// is recorded but unfinished, so what follows runs live.
func (s *scope) resumed() {
	if s.mode == modeReplay {
		s.mode = modeLive
	}
}

// observed notes that the code received the outcome of operation wid; an
// outcome the previous invocation had not seen makes the context live, so
// each log line after it is written exactly once.
func (s *scope) observed(wid string) {
	if s.mode == modeReplay && s.inv.isFresh(wid) {
		s.mode = modeLive
	}
}

// update builds an update for an operation of this scope.
func (s *scope) update(wid string, typ wire.OperationType, subType, name string, action wire.OperationAction) wire.OperationUpdate {
	return wire.OperationUpdate{Id: wid, ParentId: s.parentID, Name: name, Type: typ, SubType: subType, Action: action}
}

// isControl reports errors that unwind workflow code without being a
// failure of the operation they pass through: suspension, abandonment, a
// halted checkpointer, a non-determinism failure, the invocation ending.
func isControl(err error) bool {
	var nd *NonDeterministicError
	var ce *CheckpointError
	return errors.Is(err, errSuspended) || errors.Is(err, errAbandoned) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &nd) || errors.As(err, &ce)
}

// stepContext is what a step body or a condition check receives.
type stepContext struct {
	context.Context
	scope   *scope
	id      string
	name    string
	attempt int
	logger  *slog.Logger
}

func (sc *stepContext) Attempt() int { return sc.attempt }

func (sc *stepContext) Logger() *slog.Logger {
	if sc.logger == nil {
		attrs := []any{slog.String("operationId", sc.id), slog.Int("attempt", sc.attempt)}
		if sc.name != "" {
			attrs = append(attrs, slog.String("operationName", sc.name))
		}
		sc.logger = sc.scope.Logger().With(attrs...)
	}
	return sc.logger
}

// runBody runs a step body or condition check, turning a panic into an
// error so one bad attempt cannot crash the invocation.
func runBody[T any](fn func() (T, error)) (out T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: fmt.Sprint(r)}
		}
	}()
	return fn()
}

// PanicError is the failure recorded for a step body or condition check
// that panicked.
type PanicError struct {
	Value string
}

// Error includes the panic value.
func (e *PanicError) Error() string { return "panic: " + e.Value }

// ErrorType names the error in checkpoints.
func (e *PanicError) ErrorType() string { return "Panic" }

// innerMode is the replay mode of an unfinished child with positional id
// id (a started child context, or a virtual child that records no
// operation of its own): it replays while its first inner operation is
// recorded.
func (s *scope) innerMode(id string) replayMode {
	if _, ok := s.inv.store.get(wireID(id + "-1")); ok {
		return modeReplay
	}
	return modeLive
}

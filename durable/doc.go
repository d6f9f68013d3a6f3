// Package durable is a Go runtime for AWS Lambda durable functions.
//
// A durable function is a Lambda function whose progress the Lambda service
// records. Each durable operation the handler performs (a [Step], a [Wait],
// a [WaitForCondition] check, a child context from [RunInChildContext], a
// [Map] or [Parallel], a callback from [CreateCallback] or
// [WaitForCallback], a chained [Invoke], a combinator such as [Race]) is
// checkpointed with CheckpointDurableExecution. When the handler
// has nothing left to do but wait, the invocation ends with status PENDING
// and no compute is billed; when the wait is over, the service invokes the
// function again. That invocation runs the handler from the top: operations
// already recorded return their recorded results without running again
// (replay), and the handler continues live from the first operation that
// has no result yet. An execution can span many invocations and up to a
// year.
//
// # A handler
//
// Start a handler from main; build it for provided.al2023 and deploy it
// with a DurableConfig (see README.md):
//
//	func handle(ctx durable.Context, in Order) (Receipt, error) {
//		id, err := durable.Step(ctx, "reserve", func(sc durable.StepContext) (string, error) {
//			return reserve(sc, in) // sc is a context.Context for SDK calls
//		})
//		if err != nil {
//			return Receipt{}, err
//		}
//		if err := durable.Wait(ctx, "cool-off", 10*time.Minute); err != nil {
//			return Receipt{}, err
//		}
//		return Receipt{ReservationID: id}, nil
//	}
//
//	func main() { durable.Start(handle) }
//
// Package durabletest runs handlers locally against an in-memory service
// with a virtual clock; the examples below use it.
//
// # What runs once and what runs on every replay
//
// A step body, a condition check and the item function of a recorded Map
// item run until their outcome is recorded, and then never again: on replay
// the recorded result is returned. Everything else in the handler (the code
// between operations, the argument expressions, the bodies of child
// contexts whose result is recorded with ReplayChildren) runs again in
// every invocation that replays past it.
//
// A step body may run more than once before its outcome is recorded: when
// an invocation ends while the body runs (a crash, a timeout, a lost
// checkpoint), the next invocation runs the same attempt again. Make bodies
// idempotent, or use [WithSemantics]([AtMostOncePerRetry]) so that an
// interrupted attempt is never re-run and counts as failed instead
// ([StepInterruptedError]).
//
// # Determinism
//
// A replay must ask for the same operations, in the same order, with the
// same names, as the invocations before it, because operations are matched
// to their records by position. So between operations the handler must be
// a pure function of its input and of the results operations returned:
//
//   - Do I/O, read the clock (time.Now), draw random numbers and generate
//     ids only inside a step (or a condition check), and use the value it
//     returns. Outside a step they give a different value on each replay.
//   - Start durable operations only from a [Context], never from a step
//     body: a [StepContext] has no operations, by design.
//   - Do not let map iteration order, goroutine scheduling, environment
//     variables or other outside state choose which operations run or in
//     which order. For concurrency use [Map], [Parallel], the combinators
//     ([All], [AllSettled], [Any], [Race]), or [RunInChildContext] from
//     goroutines: each child numbers its operations on its own. A Context
//     belongs to the goroutine it was given to.
//   - Do not rename, reorder or change the kind of operations while
//     executions are in flight; publish a new function version instead
//     (an execution stays on the version it started on).
//   - Values cross invocations as JSON (or your [Serdes]): unexported
//     fields are lost. The first run already receives the decoded value,
//     exactly as a replay will.
//
// The runtime checks type, subtype and name of every replayed operation
// against its record; a mismatch fails the execution with a
// [NonDeterministicError] (error type NonDeterministicExecutionError)
// rather than hand one operation's result to another.
//
// # Errors
//
// A step body's error goes to the step's retry strategy ([WithRetry];
// [DefaultRetryPolicy] when none is given, [NoRetry] to fail at once). A
// retry is recorded with its delay and the execution suspends until it is
// due, so retries cost no compute while they wait. When the strategy gives
// up, the failure is recorded and the step returns a [*StepError] rebuilt
// from the record, on the first run and on every replay alike; the
// original Go error value is not kept, only its type name (or what its
// ErrorType() string method returns), message and data. Each operation has
// its error type ([*StepError], [*WaitForConditionError],
// [*ChildContextError], [*MapError], [*MapItemError], [*ParallelError],
// [*ParallelBranchError], [*CallbackError], [*InvokeError],
// [*CombinatorError]) and every one of them
// matches [*OperationError] with errors.As. Match failures with errors.As
// and the recorded Type, not with errors.Is against your own sentinel
// values, which do not survive a replay. A panic in a body is a failed
// attempt ([PanicError]).
//
// What the handler returns decides the execution: a nil error succeeds it
// with the returned value, any other error fails it with that error's type
// and message. A failed Map item does not fail the Map; it is reported in
// the [BatchResult] (see [BatchResult.Err]).
//
// Some errors are not the workflow's to decide; whatever the handler does
// with them, the runtime answers for it:
//
//   - A suspension: when every goroutine waits, the blocked operations
//     return an error for which [IsSuspended] is true. Return it (or any
//     error); the invocation answers PENDING, and a later invocation
//     resumes.
//   - A retryable halt: a checkpoint call that was throttled, hit a server
//     error or a network fault, or found its token superseded returns a
//     [*CheckpointError]. The invocation ends with an error so that Lambda
//     invokes the function again, and the execution resumes from its last
//     checkpoint. Nothing is lost and no step result is recorded twice.
//   - A permanent checkpoint failure (a payload over a service limit, a
//     KMS error) and a [NonDeterministicError] fail the execution.
//
// # Suspension
//
// The invocation suspends only when all of the workflow's goroutines are
// blocked on timers (a wait, a retry, the next condition check) or on
// something outside (a callback). It first lets running step bodies finish
// and records their results. While some goroutines still work, a blocked
// one checks the service from its due time on and, when its timer has
// fired, resumes in place without a new invocation.
//
// # Logging and replay
//
// Context.Logger and StepContext.Logger return a *slog.Logger that writes
// JSON lines (timestamp, level, message, executionArn, requestId; in steps
// also operationId, operationName and attempt) to standard output, at the
// level AWS_LAMBDA_LOG_LEVEL names. A line logged from code that is
// replaying is dropped, so each line appears once in the execution's logs,
// written by the invocation that first ran that code. Context.IsReplaying
// tells the code which case it is in. [WithLogHandler] sends the lines
// elsewhere.
//
// # Protocol notes
//
// Comments in this package cite sections of the protocol notes in
// docs/durable-protocol.md at the root of the repository as §n.m (for
// example §3.6 for which checkpoint failures end the invocation and which
// fail the execution).
package durable

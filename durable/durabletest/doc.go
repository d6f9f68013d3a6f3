// Package durabletest runs durable functions locally against an in-memory
// emulation of the AWS Lambda durable execution service.
//
// # The service
//
// [Service] implements the two APIs a durable function calls while it runs,
// CheckpointDurableExecution and GetDurableExecutionState (it is a
// durable.ExecutionClient), the way the real service does:
//
//   - validation: legal actions per operation type and status transitions,
//     Type/SubType/Name/ParentId consistency, parents that exist and are
//     CONTEXTs, one update per Id per batch (except a STEP or CONTEXT START
//     and its completion), the EXECUTION update last and alone; the size
//     limits and messages of the service (ValidationException checked
//     before InvalidParameterValueException); a rejected batch changes
//     nothing;
//   - a new checkpoint token per call; a consumed or superseded token is
//     answered with InvalidParameterValueException "Invalid checkpoint
//     token ...", except that a repeat of an accepted call (same
//     ClientToken and token, within 15 minutes, nothing checkpointed
//     since) gets that call's answer again, as the SDK's retry of a call
//     whose answer was lost does on the service;
//   - checkpoint answers with the operations changed since the previous
//     one, including timers that came due meanwhile; pagination with
//     NextMarker at a settable page size ([WithPageSize],
//     [WithInitialPageSize]); state pages leave out the children of a
//     completed CONTEXT unless it completed with ReplayChildren;
//   - a virtual clock per execution: during an invocation it follows real
//     time, between invocations it jumps to the next timer (a wait's end, a
//     retry, a callback timeout), so a workflow that waits ten minutes is
//     tested in milliseconds;
//   - invocation responses checked as the service checks them (PENDING
//     with nothing pending fails the invocation; four in a row fail the
//     execution);
//   - the execution history as GetDurableExecutionHistory returns it
//     ([Event]), including InvocationCompleted after every invocation.
//
// Errors are *wire.APIError values with the service's code, message and
// HTTP status.
//
// # Runners
//
// A [Runner] drives one execution per Run to its end the way Lambda does:
// it builds each invocation payload, invokes the function, applies its
// response, fires due timers and re-invokes, and returns a [Result] with the
// status, the decoded value, the operations, the history and the logs.
// Three constructors share the Runner and Result types:
//
//   - [NewRunner] wraps a typed durable.Handler with durable.Wrap and calls
//     it in-process;
//   - [NewRawRunner] calls any durable.RawHandler in-process;
//   - [NewProcessRunner] runs a compiled durable function binary as Lambda
//     would, through the Lambda Runtime API and the durable REST routes
//     served over loopback HTTP, restarting the process after a crash.
//
// Fault injection ([WithCrashAfterCheckpoint], [WithCheckpointFault], and
// [WithCheckpointFaultOn] to hit the call carrying one operation's update)
// shows that a runtime recovers from what the real service and Lambda do to
// it;
// [WithExecutionTimeout] and [WithFunctionTimeout] reproduce the two
// timeouts; [WithOnBlocked] plays the external system that completes
// callbacks, and [Service.AdvanceClock] lets it answer after a delay of
// virtual time. [WithInvokeTarget] registers the functions chained invokes
// call (a plain function, or a second durable function run by its own
// Runner through [DurableTarget]); the runner runs them when the execution
// waits for them.
//
// # Over HTTP
//
// [Server] serves a Service on 127.0.0.1: CheckpointDurableExecution,
// GetDurableExecutionState, GetDurableExecution,
// GetDurableExecutionHistory and the callback APIs exactly as aws-sdk-go-v2
// calls them (set AWS_ENDPOINT_URL_LAMBDA to [Server.URL]), and the Lambda
// Runtime API (set AWS_LAMBDA_RUNTIME_API to [Server.Addr]).
//
// # Plain functions
//
// [StartPlainFunction] runs a compiled plain (not durable) Lambda function
// binary the way Lambda runs it, under a Runtime API of its own:
// [PlainFunction.Invoke] hands it one event at a time and returns its
// response or a [FunctionError], and [PlainFunction.Logs] returns what it
// wrote.
//
// # Driving an execution by hand
//
// [Service.StartExecution], [Service.StartInvocation],
// [Service.CompleteInvocation] and [Service.Advance] are the steps a Runner
// takes, for tests that need to stand between them.
package durabletest

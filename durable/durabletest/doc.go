// Package durabletest runs durable functions locally against an in-memory
// emulation of the AWS Lambda durable execution service.
//
// The emulator ([Service]) implements the two APIs a durable function calls
// while it runs (CheckpointDurableExecution and GetDurableExecutionState) with
// the service's validation rules, size limits, error codes and messages, token
// rotation, pagination, and a virtual clock, and records the execution
// history that GetDurableExecutionHistory would return. A [Runner] drives one
// execution to its end the way Lambda does: it builds each invocation
// payload, invokes the function, applies its answer, fires due timers by
// jumping the virtual clock, and re-invokes, so a workflow that waits ten
// minutes is tested in milliseconds.
//
// Three kinds of runner share one [Result] type:
//
//   - [NewRunner] wraps a typed durable.Handler with durable.Wrap and calls it
//     in-process.
//   - [NewRawRunner] calls any durable.RawHandler in-process (a hand-written
//     handler speaking the wire protocol, or another runtime).
//   - [NewProcessRunner] runs a compiled durable function binary as Lambda
//     would, through the Lambda Runtime API and the durable REST routes
//     served over loopback HTTP by a [Server].
//
// Fault injection ([WithCrashAfterCheckpoint], [WithCheckpointFault]) shows
// that a runtime recovers from the failures the real service produces.
package durabletest

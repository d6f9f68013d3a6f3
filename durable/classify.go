package durable

import (
	"errors"
	"fmt"
	"strings"
)

// failureScope says what a failed service call ends.
type failureScope int

const (
	// scopeInvocation ends this invocation with an error; Lambda invokes the
	// function again and the execution resumes from its last checkpoint.
	scopeInvocation failureScope = iota
	// scopeExecution fails the execution for good.
	scopeExecution
)

// staleTokenPrefix starts the service's message for a consumed or
// superseded checkpoint token. The service writes it in lower case.
const staleTokenPrefix = "Invalid checkpoint token"

// kmsErrorCodes arrive as server errors but are permanent (§3.6).
var kmsErrorCodes = map[string]bool{
	"KMSAccessDeniedException": true,
	"KMSDisabledException":     true,
	"KMSInvalidStateException": true,
	"KMSNotFoundException":     true,
}

// classify maps a failed CheckpointDurableExecution or
// GetDurableExecutionState call to the scope it ends, following the table
// of §3.6: permanent client faults fail the execution; a stale token,
// throttling, server faults and network errors end only the invocation.
func classify(err error) failureScope {
	var coded interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &coded) {
		code := coded.ErrorCode()
		switch {
		case kmsErrorCodes[code]:
			return scopeExecution
		case code == "InvalidParameterValueException" && isStaleTokenMessage(coded.ErrorMessage()):
			return scopeInvocation
		case code == "TooManyRequestsException", code == "ThrottlingException":
			return scopeInvocation
		}
	}
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		status := withStatus.HTTPStatusCode()
		if status == 429 || status >= 500 {
			return scopeInvocation
		}
		if status >= 400 {
			return scopeExecution
		}
	}
	if coded != nil {
		// A modeled error without an HTTP status: a client fault.
		return scopeExecution
	}
	return scopeInvocation
}

// isStaleTokenMessage matches the service's message and, for old
// emulators, its title-case variant.
func isStaleTokenMessage(msg string) bool {
	return strings.HasPrefix(msg, staleTokenPrefix) || strings.HasPrefix(msg, "Invalid Checkpoint Token")
}

// CheckpointError reports that the service refused or failed a checkpoint
// or state call. Whatever the handler does with it, the runtime ends the
// invocation: with an error (so Lambda retries) when the failure is
// transient, or by failing the execution when it is permanent.
type CheckpointError struct {
	Err       error
	permanent bool
}

// Error describes the failed call.
func (e *CheckpointError) Error() string {
	kind := "transient; the invocation ends and Lambda retries it"
	if e.permanent {
		kind = "permanent; the execution fails"
	}
	return fmt.Sprintf("durable: checkpoint failed (%s): %v", kind, e.Err)
}

// Unwrap returns the service error.
func (e *CheckpointError) Unwrap() error { return e.Err }

// ErrorType names the error in the execution's result.
func (e *CheckpointError) ErrorType() string { return "CheckpointError" }

// Permanent reports whether the failure fails the execution.
func (e *CheckpointError) Permanent() bool { return e.permanent }

func newCheckpointError(err error) *CheckpointError {
	return &CheckpointError{Err: err, permanent: classify(err) == scopeExecution}
}

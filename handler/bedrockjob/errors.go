package bedrockjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/videomodels"
)

// Error codes this package gives errors that do not come from Bedrock.
const (
	// CodeModelEndOfLife marks a model Bedrock no longer serves.
	CodeModelEndOfLife = "ModelEndOfLife"
	// CodeNetwork marks a request that got no answer.
	CodeNetwork = "NetworkError"
	// CodeJobFailed marks a job that ended with status Failed.
	CodeJobFailed = "JobFailed"
	// CodeTokenNotFound marks a ConflictException whose token matches no
	// listed job.
	CodeTokenNotFound = "ConflictUnresolved"
)

// retryableCodes are the Bedrock errors worth another attempt after a
// wait: the request was refused for load or a transient fault, not for what
// it asked.
var retryableCodes = map[string]bool{
	"ThrottlingException":           true,
	"ServiceQuotaExceededException": true,
	"InternalServerException":       true,
	"ServiceUnavailableException":   true,
	"ModelNotReadyException":        true,
	CodeNetwork:                     true,
}

// Error is a failed Bedrock call, classified.
type Error struct {
	// Op is the API operation ("StartAsyncInvoke", ...).
	Op string
	// Code is Bedrock's error code, or one of this package's Code*.
	Code string
	// Message is the human-readable cause.
	Message string
	// Retryable says whether the same request may succeed later.
	Retryable bool
	// Err is the underlying error, if any.
	Err error
}

// Error renders "Op: Code: Message".
func (e *Error) Error() string { return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message) }

// ErrorType is the code, so checkpoints and result.json record it.
func (e *Error) ErrorType() string { return e.Code }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err (an *Error, possibly wrapped) is worth
// retrying. An error recorded by a durable step keeps only its code: see
// RetryableCode.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// RetryableCode reports whether an error code is one this package
// classifies as retryable. It serves callers that hold only the code, such
// as an error rebuilt from a checkpoint; an unmodeled server error, which
// IsRetryable accepts by its HTTP status, is not recognized by its code.
func RetryableCode(code string) bool { return retryableCodes[code] }

// classify turns an SDK error from op on model into an *Error.
func classify(op, model string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, msg := apiErr.ErrorCode(), apiErr.ErrorMessage()
		if isEndOfLife(msg) {
			return endOfLife(op, model, code, msg, err)
		}
		retryable := retryableCodes[code]
		var respErr *smithyhttp.ResponseError
		if !retryable && errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
			// An unmodeled server error is as transient as a modeled one.
			retryable = true
		}
		return &Error{Op: op, Code: code, Message: msg, Retryable: retryable, Err: err}
	}
	if isNetwork(err) {
		return &Error{Op: op, Code: CodeNetwork, Message: "no answer from Bedrock: " + rootCause(err), Retryable: true, Err: err}
	}
	return &Error{Op: op, Code: "Error", Message: err.Error(), Err: err}
}

// isEndOfLife recognizes Bedrock's answers for retired and legacy models by
// their message, whatever the code: ResourceNotFoundException "This model
// version has reached the end of its life. Please refer to the AWS
// documentation for more details." after the end-of-life date, and
// ResourceNotFoundException "Access denied. This Model is marked by provider
// as Legacy and you have not been actively using the model in the last 15
// (or 30) days" before it (both reported from live accounts in 2026, e.g.
// aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws
// issue 708); older reports show other codes for retired models
// (aws/aws-sdk-js-v3 issue 6424: ValidationException), hence the message.
func isEndOfLife(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "end of its life") || strings.Contains(m, "end-of-life") ||
		strings.Contains(m, "marked by provider as legacy")
}

// endOfLife names the model, Bedrock's answer, the catalogue's replacement
// and the settings to change.
func endOfLife(op, model, code, msg string, err error) *Error {
	return &Error{
		Op:   op,
		Code: CodeModelEndOfLife,
		Message: fmt.Sprintf("model %s is past its end of life on Amazon Bedrock and can no longer be invoked (Bedrock said %s: %q); "+
			"%s: set %s and %s (and %s if jobs name models)",
			model, code, msg, videomodels.Replacement(), config.EnvModelID, config.EnvRegion, config.EnvAllowedModels),
		Err: err,
	}
}

func isNetwork(err error) bool {
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	return errors.As(err, &sendErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded)
}

func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

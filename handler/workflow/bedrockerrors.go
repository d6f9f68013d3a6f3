package workflow

import (
	"errors"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
)

// transientBedrockError reports whether err is a Bedrock error worth
// retrying: a retryable *bedrockjob.Error, or a durable operation error
// recorded from one. A step that failed returns its error rebuilt from the
// checkpoint, which keeps only the code, so the code decides.
func transientBedrockError(err error) bool {
	if code, recorded := recordedCode(err); recorded {
		return bedrockjob.RetryableCode(code)
	}
	return bedrockjob.IsRetryable(err)
}

// capacityRefusal reports whether err is Bedrock refusing for capacity
// (quota or throttling), directly or as recorded by a durable step.
func capacityRefusal(err error) bool {
	if code, recorded := recordedCode(err); recorded {
		return bedrockjob.IsCapacityCode(code)
	}
	return bedrockjob.IsCapacity(err)
}

// recordedCode returns the error type a durable operation recorded, when
// err is such an operation error and not a *bedrockjob.Error itself.
func recordedCode(err error) (string, bool) {
	var bErr *bedrockjob.Error
	if errors.As(err, &bErr) {
		return "", false
	}
	var opErr *durable.OperationError
	if errors.As(err, &opErr) {
		return opErr.Type, true
	}
	return "", false
}

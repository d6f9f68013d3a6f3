package workflow

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/bedrockjob"
)

// A step that failed hands back its error rebuilt from the checkpoint, with
// only the code: a recorded throttling must still be retried and waited
// out, a recorded validation error must not.
func TestBedrockErrorClassesSurviveCheckpoint(t *testing.T) {
	for _, tt := range []struct {
		name                string
		err                 error
		transient, capacity bool
	}{
		{"recorded throttling", &durable.OperationError{Type: "ThrottlingException"}, true, true},
		{"recorded quota", &durable.StepError{OperationError: durable.OperationError{Type: bedrockjob.CodeQuotaExceeded}}, true, true},
		{"recorded server error", &durable.OperationError{Type: "InternalServerException"}, true, false},
		{"recorded validation error", &durable.OperationError{Type: "ValidationException"}, false, false},
		{"direct throttling", fmt.Errorf("start: %w", &bedrockjob.Error{Code: bedrockjob.CodeThrottling, Retryable: true}), true, true},
		{"direct unmodeled 5xx", &bedrockjob.Error{Code: "UnknownError", Retryable: true}, true, false},
		{"plain error", errors.New("plain"), false, false},
		{"nil", nil, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := transientBedrockError(tt.err); got != tt.transient {
				t.Errorf("transientBedrockError(%v) = %v, want %v", tt.err, got, tt.transient)
			}
			if got := capacityRefusal(tt.err); got != tt.capacity {
				t.Errorf("capacityRefusal(%v) = %v, want %v", tt.err, got, tt.capacity)
			}
		})
	}
}

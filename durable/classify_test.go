package durable

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

func TestClassifyFollowsTheServiceErrorTable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want failureScope
	}{
		{"stale token ends the invocation", &wire.APIError{Code: "InvalidParameterValueException", Message: "Invalid checkpoint token: token was already used", StatusCode: 400}, scopeInvocation},
		{"other invalid parameter fails the execution", &wire.APIError{Code: "InvalidParameterValueException", Message: "STEP output payload size must be less than or equal to 262144 bytes.", StatusCode: 400}, scopeExecution},
		{"validation fails the execution", &wire.APIError{Code: "ValidationException", Message: "1 validation error detected", StatusCode: 400}, scopeExecution},
		{"throttling ends the invocation", &wire.APIError{Code: "TooManyRequestsException", Message: "Rate exceeded", StatusCode: 429}, scopeInvocation},
		{"server fault ends the invocation", &wire.APIError{Code: "ServiceException", Message: "internal", StatusCode: 500}, scopeInvocation},
		{"KMS fault is permanent despite 5xx", &wire.APIError{Code: "KMSDisabledException", Message: "key disabled", StatusCode: 502}, scopeExecution},
		{"unmodeled 503 ends the invocation", fmt.Errorf("call: %w", &wire.APIError{StatusCode: 503}), scopeInvocation},
		{"network error ends the invocation", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, scopeInvocation},
		{"timeout ends the invocation", context.DeadlineExceeded, scopeInvocation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

package wire

import "fmt"

// APIError is an error answer of the durable execution API: the modeled
// error code (for example InvalidParameterValueException), its message and
// the HTTP status. It has the same methods as the AWS SDK's API errors and
// HTTP response errors, so one classifier serves both.
type APIError struct {
	Code       string
	Message    string
	StatusCode int
}

// Error renders the error as the AWS SDK does: code, then message.
func (e *APIError) Error() string {
	return fmt.Sprintf("api error %s: %s", e.Code, e.Message)
}

// ErrorCode returns the modeled error code.
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage returns the service's message.
func (e *APIError) ErrorMessage() string { return e.Message }

// HTTPStatusCode returns the HTTP status the service answered with.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

package durabletest

import (
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// EventType is the type of a history event.
type EventType string

// History event types, as GetDurableExecutionHistory spells them.
const (
	EventExecutionStarted       EventType = "ExecutionStarted"
	EventExecutionSucceeded     EventType = "ExecutionSucceeded"
	EventExecutionFailed        EventType = "ExecutionFailed"
	EventExecutionTimedOut      EventType = "ExecutionTimedOut"
	EventExecutionStopped       EventType = "ExecutionStopped"
	EventContextStarted         EventType = "ContextStarted"
	EventContextSucceeded       EventType = "ContextSucceeded"
	EventContextFailed          EventType = "ContextFailed"
	EventWaitStarted            EventType = "WaitStarted"
	EventWaitSucceeded          EventType = "WaitSucceeded"
	EventWaitCancelled          EventType = "WaitCancelled"
	EventStepStarted            EventType = "StepStarted"
	EventStepSucceeded          EventType = "StepSucceeded"
	EventStepFailed             EventType = "StepFailed"
	EventChainedInvokeStarted   EventType = "ChainedInvokeStarted"
	EventChainedInvokeSucceeded EventType = "ChainedInvokeSucceeded"
	EventChainedInvokeFailed    EventType = "ChainedInvokeFailed"
	EventChainedInvokeTimedOut  EventType = "ChainedInvokeTimedOut"
	EventChainedInvokeStopped   EventType = "ChainedInvokeStopped"
	EventCallbackStarted        EventType = "CallbackStarted"
	EventCallbackSucceeded      EventType = "CallbackSucceeded"
	EventCallbackFailed         EventType = "CallbackFailed"
	EventCallbackTimedOut       EventType = "CallbackTimedOut"
	EventInvocationCompleted    EventType = "InvocationCompleted"
)

// Event is one history event, shaped like the Lambda API's Event: its JSON
// form has exactly the field names of GetDurableExecutionHistory (and of the
// conformance fixtures), with absent details omitted. Exactly one
// <EventType>Details field is set.
type Event struct {
	EventType      EventType `json:"EventType"`
	EventId        int       `json:"EventId"`
	EventTimestamp time.Time `json:"EventTimestamp"`
	Id             string    `json:"Id,omitempty"`
	Name           string    `json:"Name,omitempty"`
	ParentId       string    `json:"ParentId,omitempty"`
	SubType        string    `json:"SubType,omitempty"`

	ExecutionStartedDetails       *ExecutionStartedDetails     `json:"ExecutionStartedDetails,omitempty"`
	ExecutionSucceededDetails     *ResultDetails               `json:"ExecutionSucceededDetails,omitempty"`
	ExecutionFailedDetails        *ErrorDetails                `json:"ExecutionFailedDetails,omitempty"`
	ExecutionTimedOutDetails      *ErrorDetails                `json:"ExecutionTimedOutDetails,omitempty"`
	ExecutionStoppedDetails       *ErrorDetails                `json:"ExecutionStoppedDetails,omitempty"`
	ContextStartedDetails         *EmptyDetails                `json:"ContextStartedDetails,omitempty"`
	ContextSucceededDetails       *ResultDetails               `json:"ContextSucceededDetails,omitempty"`
	ContextFailedDetails          *ErrorDetails                `json:"ContextFailedDetails,omitempty"`
	WaitStartedDetails            *WaitStartedDetails          `json:"WaitStartedDetails,omitempty"`
	WaitSucceededDetails          *WaitSucceededDetails        `json:"WaitSucceededDetails,omitempty"`
	WaitCancelledDetails          *ErrorDetails                `json:"WaitCancelledDetails,omitempty"`
	StepStartedDetails            *EmptyDetails                `json:"StepStartedDetails,omitempty"`
	StepSucceededDetails          *StepSucceededDetails        `json:"StepSucceededDetails,omitempty"`
	StepFailedDetails             *StepFailedDetails           `json:"StepFailedDetails,omitempty"`
	ChainedInvokeStartedDetails   *ChainedInvokeStartedDetails `json:"ChainedInvokeStartedDetails,omitempty"`
	ChainedInvokeSucceededDetails *ResultDetails               `json:"ChainedInvokeSucceededDetails,omitempty"`
	ChainedInvokeFailedDetails    *ErrorDetails                `json:"ChainedInvokeFailedDetails,omitempty"`
	ChainedInvokeTimedOutDetails  *ErrorDetails                `json:"ChainedInvokeTimedOutDetails,omitempty"`
	ChainedInvokeStoppedDetails   *ErrorDetails                `json:"ChainedInvokeStoppedDetails,omitempty"`
	CallbackStartedDetails        *CallbackStartedDetails      `json:"CallbackStartedDetails,omitempty"`
	CallbackSucceededDetails      *ResultDetails               `json:"CallbackSucceededDetails,omitempty"`
	CallbackFailedDetails         *ErrorDetails                `json:"CallbackFailedDetails,omitempty"`
	CallbackTimedOutDetails       *ErrorDetails                `json:"CallbackTimedOutDetails,omitempty"`
	InvocationCompletedDetails    *InvocationCompletedDetails  `json:"InvocationCompletedDetails,omitempty"`
}

// EmptyDetails is a details object without fields (StepStartedDetails,
// ContextStartedDetails); it marshals as {}.
type EmptyDetails struct{}

// EventPayload is a payload carried by an event (the API's EventInput and
// EventResult): a JSON text in a string.
type EventPayload struct {
	Payload   string `json:"Payload,omitempty"`
	Truncated bool   `json:"Truncated"`
}

// EventError is an error carried by an event.
type EventError struct {
	Payload   wire.ErrorObject `json:"Payload"`
	Truncated bool             `json:"Truncated"`
}

// ResultDetails is the details of events that carry a result
// (ExecutionSucceeded, ContextSucceeded, CallbackSucceeded,
// ChainedInvokeSucceeded). Result is always set; its Payload is empty when
// no payload was recorded.
type ResultDetails struct {
	Result *EventPayload `json:"Result,omitempty"`
}

// ErrorDetails is the details of events that carry an error.
type ErrorDetails struct {
	Error *EventError `json:"Error,omitempty"`
}

// RetryDetails tells which attempt of a step an event concerns (1-based,
// computed by the service) and, for a retry, the delay before the next one.
type RetryDetails struct {
	CurrentAttempt          int  `json:"CurrentAttempt"`
	NextAttemptDelaySeconds *int `json:"NextAttemptDelaySeconds,omitempty"`
}

// StepSucceededDetails: a step's result, or a wait-for-condition's state
// (with NextAttemptDelaySeconds when the check asked to continue).
type StepSucceededDetails struct {
	Result       *EventPayload `json:"Result,omitempty"`
	RetryDetails *RetryDetails `json:"RetryDetails,omitempty"`
}

// StepFailedDetails: a step attempt's error; with
// RetryDetails.NextAttemptDelaySeconds when the step will be retried.
type StepFailedDetails struct {
	Error        *EventError   `json:"Error,omitempty"`
	RetryDetails *RetryDetails `json:"RetryDetails,omitempty"`
}

// ExecutionStartedDetails: the execution's input and timeout in seconds.
type ExecutionStartedDetails struct {
	Input            *EventPayload `json:"Input,omitempty"`
	ExecutionTimeout int           `json:"ExecutionTimeout,omitempty"`
}

// WaitStartedDetails: the wait's duration in seconds and its scheduled end.
type WaitStartedDetails struct {
	Duration              int       `json:"Duration"`
	ScheduledEndTimestamp time.Time `json:"ScheduledEndTimestamp"`
}

// WaitSucceededDetails: the duration of the wait that ended.
type WaitSucceededDetails struct {
	Duration int `json:"Duration"`
}

// CallbackStartedDetails: the service-assigned callback id and timeouts.
type CallbackStartedDetails struct {
	CallbackId       string `json:"CallbackId"`
	Timeout          int    `json:"Timeout,omitempty"`
	HeartbeatTimeout int    `json:"HeartbeatTimeout,omitempty"`
}

// ChainedInvokeStartedDetails: the invoked function and its input, the
// version that runs and the ARN of the target's durable execution
// (ChainedInvokeStartedDetails in the Lambda API reference).
type ChainedInvokeStartedDetails struct {
	FunctionName        string        `json:"FunctionName,omitempty"`
	Input               *EventPayload `json:"Input,omitempty"`
	TenantId            string        `json:"TenantId,omitempty"`
	ExecutedVersion     string        `json:"ExecutedVersion,omitempty"`
	DurableExecutionArn string        `json:"DurableExecutionArn,omitempty"`
}

// InvocationCompletedDetails: one invocation's virtual start and end, its
// request id, and the error it ended with (an invocation error, a rejected
// response, a crash), if any.
type InvocationCompletedDetails struct {
	StartTimestamp time.Time   `json:"StartTimestamp"`
	EndTimestamp   time.Time   `json:"EndTimestamp"`
	RequestId      string      `json:"RequestId"`
	Error          *EventError `json:"Error,omitempty"`
}

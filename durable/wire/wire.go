// Package wire holds the JSON shapes of the AWS Lambda durable execution
// protocol: the invocation payload the Lambda service hands a durable
// function, the response the function returns, and the operation state and
// updates exchanged with CheckpointDurableExecution and
// GetDurableExecutionState. Field names are PascalCase exactly as on the wire.
//
// The runtime (package durable) and the local service (package
// durable/durabletest) both speak these types, so they cannot drift apart.
package wire

// OperationType is the kind of a durable operation.
type OperationType string

// Operation types, as the service spells them.
const (
	TypeExecution     OperationType = "EXECUTION"
	TypeContext       OperationType = "CONTEXT"
	TypeStep          OperationType = "STEP"
	TypeWait          OperationType = "WAIT"
	TypeCallback      OperationType = "CALLBACK"
	TypeChainedInvoke OperationType = "CHAINED_INVOKE"
)

// OperationAction is what an update asks the service to do with an operation.
type OperationAction string

// Operation actions, as the service spells them.
const (
	ActionStart   OperationAction = "START"
	ActionSucceed OperationAction = "SUCCEED"
	ActionFail    OperationAction = "FAIL"
	ActionRetry   OperationAction = "RETRY"
	ActionCancel  OperationAction = "CANCEL"
)

// OperationStatus is the state of an operation as the service records it.
type OperationStatus string

// Operation statuses, as the service spells them.
const (
	StatusStarted   OperationStatus = "STARTED"
	StatusPending   OperationStatus = "PENDING"
	StatusReady     OperationStatus = "READY"
	StatusSucceeded OperationStatus = "SUCCEEDED"
	StatusFailed    OperationStatus = "FAILED"
	StatusCancelled OperationStatus = "CANCELLED"
	StatusTimedOut  OperationStatus = "TIMED_OUT"
	StatusStopped   OperationStatus = "STOPPED"
)

// Terminal reports whether no further transition can follow s.
func (s OperationStatus) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusCancelled, StatusTimedOut, StatusStopped:
		return true
	}
	return false
}

// Operation subtypes shared by the official SDKs; the service treats the
// subtype as free text, but replay validation and history tooling rely on
// these exact values.
const (
	SubTypeStep              = "Step"
	SubTypeWaitForCondition  = "WaitForCondition"
	SubTypeWait              = "Wait"
	SubTypeCallback          = "Callback"
	SubTypeChainedInvoke     = "ChainedInvoke"
	SubTypeRunInChildContext = "RunInChildContext"
	SubTypeWaitForCallback   = "WaitForCallback"
	SubTypeMap               = "Map"
	SubTypeMapIteration      = "MapIteration"
	SubTypeParallel          = "Parallel"
	SubTypeParallelBranch    = "ParallelBranch"
)

// ErrorObject is an error as the service stores it. Every field is optional.
type ErrorObject struct {
	ErrorType    string   `json:"ErrorType,omitempty"`
	ErrorMessage string   `json:"ErrorMessage,omitempty"`
	ErrorData    string   `json:"ErrorData,omitempty"`
	StackTrace   []string `json:"StackTrace,omitempty"`
}

// Operation is the recorded state of one durable operation.
type Operation struct {
	Id                   string                `json:"Id"`
	ParentId             string                `json:"ParentId,omitempty"`
	Name                 string                `json:"Name,omitempty"`
	Type                 OperationType         `json:"Type"`
	SubType              string                `json:"SubType,omitempty"`
	Status               OperationStatus       `json:"Status"`
	StartTimestamp       Timestamp             `json:"StartTimestamp,omitzero"`
	EndTimestamp         Timestamp             `json:"EndTimestamp,omitzero"`
	ExecutionDetails     *ExecutionDetails     `json:"ExecutionDetails,omitempty"`
	StepDetails          *StepDetails          `json:"StepDetails,omitempty"`
	WaitDetails          *WaitDetails          `json:"WaitDetails,omitempty"`
	CallbackDetails      *CallbackDetails      `json:"CallbackDetails,omitempty"`
	ChainedInvokeDetails *ChainedInvokeDetails `json:"ChainedInvokeDetails,omitempty"`
	ContextDetails       *ContextDetails       `json:"ContextDetails,omitempty"`
}

// ExecutionDetails carries the customer's input on the EXECUTION operation.
type ExecutionDetails struct {
	InputPayload string `json:"InputPayload,omitempty"`
}

// StepDetails is the state of a STEP operation (steps and wait-for-condition
// checks). Attempt counts the retries the service has recorded; Result holds
// the serialized result, or for a wait-for-condition the state carried by the
// last RETRY.
type StepDetails struct {
	Attempt              int          `json:"Attempt,omitempty"`
	Result               string       `json:"Result,omitempty"`
	Error                *ErrorObject `json:"Error,omitempty"`
	NextAttemptTimestamp Timestamp    `json:"NextAttemptTimestamp,omitzero"`
}

// WaitDetails is the state of a WAIT operation.
type WaitDetails struct {
	ScheduledEndTimestamp Timestamp `json:"ScheduledEndTimestamp,omitzero"`
}

// CallbackDetails is the state of a CALLBACK operation.
type CallbackDetails struct {
	CallbackId string       `json:"CallbackId,omitempty"`
	Result     string       `json:"Result,omitempty"`
	Error      *ErrorObject `json:"Error,omitempty"`
}

// ChainedInvokeDetails is the state of a CHAINED_INVOKE operation.
type ChainedInvokeDetails struct {
	Result string       `json:"Result,omitempty"`
	Error  *ErrorObject `json:"Error,omitempty"`
}

// ContextDetails is the state of a CONTEXT operation. ReplayChildren means
// the result was too large to store, so replay re-runs the children.
type ContextDetails struct {
	Result         string       `json:"Result,omitempty"`
	Error          *ErrorObject `json:"Error,omitempty"`
	ReplayChildren bool         `json:"ReplayChildren,omitempty"`
}

// OperationUpdate is one change a function asks the service to record.
type OperationUpdate struct {
	Id                   string                `json:"Id"`
	ParentId             string                `json:"ParentId,omitempty"`
	Name                 string                `json:"Name,omitempty"`
	Type                 OperationType         `json:"Type"`
	SubType              string                `json:"SubType,omitempty"`
	Action               OperationAction       `json:"Action"`
	Payload              string                `json:"Payload,omitempty"`
	Error                *ErrorObject          `json:"Error,omitempty"`
	StepOptions          *StepOptions          `json:"StepOptions,omitempty"`
	WaitOptions          *WaitOptions          `json:"WaitOptions,omitempty"`
	CallbackOptions      *CallbackOptions      `json:"CallbackOptions,omitempty"`
	ChainedInvokeOptions *ChainedInvokeOptions `json:"ChainedInvokeOptions,omitempty"`
	ContextOptions       *ContextOptions       `json:"ContextOptions,omitempty"`
}

// StepOptions accompany a STEP RETRY.
type StepOptions struct {
	NextAttemptDelaySeconds int32 `json:"NextAttemptDelaySeconds"`
}

// WaitOptions accompany a WAIT START.
type WaitOptions struct {
	WaitSeconds int32 `json:"WaitSeconds"`
}

// CallbackOptions accompany a CALLBACK START; zero disables a timeout.
type CallbackOptions struct {
	TimeoutSeconds          int32 `json:"TimeoutSeconds,omitempty"`
	HeartbeatTimeoutSeconds int32 `json:"HeartbeatTimeoutSeconds,omitempty"`
}

// ChainedInvokeOptions accompany a CHAINED_INVOKE START.
type ChainedInvokeOptions struct {
	FunctionName string `json:"FunctionName"`
	TenantId     string `json:"TenantId,omitempty"`
}

// ContextOptions accompany a CONTEXT SUCCEED.
type ContextOptions struct {
	ReplayChildren bool `json:"ReplayChildren,omitempty"`
}

// ExecutionState is one page of an execution's operation log.
type ExecutionState struct {
	Operations []Operation `json:"Operations"`
	NextMarker string      `json:"NextMarker,omitempty"`
}

// InvocationInput is the event the Lambda service passes to a durable
// function on every invocation.
type InvocationInput struct {
	DurableExecutionArn   string         `json:"DurableExecutionArn"`
	CheckpointToken       string         `json:"CheckpointToken"`
	UpdatedOperationIds   []string       `json:"UpdatedOperationIds,omitempty"`
	InitialExecutionState ExecutionState `json:"InitialExecutionState"`
}

// InvocationStatus is the outcome a durable function reports for one invocation.
type InvocationStatus string

// Invocation outcomes.
const (
	InvocationSucceeded InvocationStatus = "SUCCEEDED"
	InvocationFailed    InvocationStatus = "FAILED"
	InvocationPending   InvocationStatus = "PENDING"
)

// InvocationOutput is what a durable function returns to the Lambda service.
// Result is the handler's result as JSON text (so it is JSON inside a JSON
// string on the wire).
type InvocationOutput struct {
	Status InvocationStatus `json:"Status"`
	Result string           `json:"Result,omitempty"`
	Error  *ErrorObject     `json:"Error,omitempty"`
}

// CheckpointRequest is the body of CheckpointDurableExecution, plus the
// execution ARN that travels in its path.
type CheckpointRequest struct {
	DurableExecutionArn string            `json:"-"`
	CheckpointToken     string            `json:"CheckpointToken"`
	Updates             []OperationUpdate `json:"Updates"`
	ClientToken         string            `json:"ClientToken,omitempty"`
}

// CheckpointResponse is the answer to CheckpointDurableExecution. An empty
// CheckpointToken means the service accepts no more checkpoints from this
// invocation.
type CheckpointResponse struct {
	CheckpointToken   string          `json:"CheckpointToken,omitempty"`
	NewExecutionState *ExecutionState `json:"NewExecutionState,omitempty"`
}

// StateRequest asks GetDurableExecutionState for one page of operations.
// MaxItems 0 means the service default.
type StateRequest struct {
	DurableExecutionArn string
	CheckpointToken     string
	Marker              string
	MaxItems            int
}

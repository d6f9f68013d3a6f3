package lambdaclient

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// optString maps the wire convention "empty = absent" to a nil pointer.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func optTime(t wire.Timestamp) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

func fromTime(t *time.Time) wire.Timestamp {
	if t == nil || t.IsZero() {
		return wire.Timestamp{}
	}
	return wire.Timestamp{Time: t.UTC()}
}

// UpdatesToSDK converts operation updates to the SDK's types.
func UpdatesToSDK(us []wire.OperationUpdate) []types.OperationUpdate {
	if us == nil {
		return []types.OperationUpdate{}
	}
	out := make([]types.OperationUpdate, len(us))
	for i := range us {
		out[i] = UpdateToSDK(&us[i])
	}
	return out
}

// UpdateToSDK converts one operation update, every field.
func UpdateToSDK(u *wire.OperationUpdate) types.OperationUpdate {
	o := types.OperationUpdate{
		Id:       aws.String(u.Id),
		ParentId: optString(u.ParentId),
		Name:     optString(u.Name),
		Type:     types.OperationType(u.Type),
		SubType:  optString(u.SubType),
		Action:   types.OperationAction(u.Action),
		Payload:  optString(u.Payload),
		Error:    ErrorToSDK(u.Error),
	}
	if s := u.StepOptions; s != nil {
		o.StepOptions = &types.StepOptions{NextAttemptDelaySeconds: aws.Int32(s.NextAttemptDelaySeconds)}
	}
	if w := u.WaitOptions; w != nil {
		o.WaitOptions = &types.WaitOptions{WaitSeconds: aws.Int32(w.WaitSeconds)}
	}
	if c := u.CallbackOptions; c != nil {
		o.CallbackOptions = &types.CallbackOptions{TimeoutSeconds: c.TimeoutSeconds, HeartbeatTimeoutSeconds: c.HeartbeatTimeoutSeconds}
	}
	if c := u.ChainedInvokeOptions; c != nil {
		o.ChainedInvokeOptions = &types.ChainedInvokeOptions{FunctionName: aws.String(c.FunctionName), TenantId: optString(c.TenantId)}
	}
	if c := u.ContextOptions; c != nil {
		o.ContextOptions = &types.ContextOptions{ReplayChildren: aws.Bool(c.ReplayChildren)}
	}
	return o
}

// ErrorToSDK converts an error object (nil stays nil).
func ErrorToSDK(e *wire.ErrorObject) *types.ErrorObject {
	if e == nil {
		return nil
	}
	return &types.ErrorObject{
		ErrorType:    optString(e.ErrorType),
		ErrorMessage: optString(e.ErrorMessage),
		ErrorData:    optString(e.ErrorData),
		StackTrace:   append([]string(nil), e.StackTrace...),
	}
}

// ErrorFromSDK converts an error object (nil stays nil).
func ErrorFromSDK(e *types.ErrorObject) *wire.ErrorObject {
	if e == nil {
		return nil
	}
	return &wire.ErrorObject{
		ErrorType:    aws.ToString(e.ErrorType),
		ErrorMessage: aws.ToString(e.ErrorMessage),
		ErrorData:    aws.ToString(e.ErrorData),
		StackTrace:   append([]string(nil), e.StackTrace...),
	}
}

// OperationsFromSDK converts operations from the SDK's types.
func OperationsFromSDK(ops []types.Operation) []wire.Operation {
	out := make([]wire.Operation, len(ops))
	for i := range ops {
		out[i] = OperationFromSDK(&ops[i])
	}
	return out
}

// OperationFromSDK converts one operation, every field.
func OperationFromSDK(op *types.Operation) wire.Operation {
	o := wire.Operation{
		Id:             aws.ToString(op.Id),
		ParentId:       aws.ToString(op.ParentId),
		Name:           aws.ToString(op.Name),
		Type:           wire.OperationType(op.Type),
		SubType:        aws.ToString(op.SubType),
		Status:         wire.OperationStatus(op.Status),
		StartTimestamp: fromTime(op.StartTimestamp),
		EndTimestamp:   fromTime(op.EndTimestamp),
	}
	if d := op.ExecutionDetails; d != nil {
		o.ExecutionDetails = &wire.ExecutionDetails{InputPayload: aws.ToString(d.InputPayload)}
	}
	if d := op.StepDetails; d != nil {
		o.StepDetails = &wire.StepDetails{
			Attempt:              int(d.Attempt),
			Result:               aws.ToString(d.Result),
			Error:                ErrorFromSDK(d.Error),
			NextAttemptTimestamp: fromTime(d.NextAttemptTimestamp),
		}
	}
	if d := op.WaitDetails; d != nil {
		o.WaitDetails = &wire.WaitDetails{ScheduledEndTimestamp: fromTime(d.ScheduledEndTimestamp)}
	}
	if d := op.CallbackDetails; d != nil {
		o.CallbackDetails = &wire.CallbackDetails{CallbackId: aws.ToString(d.CallbackId), Result: aws.ToString(d.Result), Error: ErrorFromSDK(d.Error)}
	}
	if d := op.ChainedInvokeDetails; d != nil {
		o.ChainedInvokeDetails = &wire.ChainedInvokeDetails{Result: aws.ToString(d.Result), Error: ErrorFromSDK(d.Error)}
	}
	if d := op.ContextDetails; d != nil {
		o.ContextDetails = &wire.ContextDetails{Result: aws.ToString(d.Result), Error: ErrorFromSDK(d.Error), ReplayChildren: aws.ToBool(d.ReplayChildren)}
	}
	return o
}

// OperationToSDK converts an operation to the SDK's types (the inverse of
// OperationFromSDK; used by tests and tools).
func OperationToSDK(op *wire.Operation) types.Operation {
	o := types.Operation{
		Id:             aws.String(op.Id),
		ParentId:       optString(op.ParentId),
		Name:           optString(op.Name),
		Type:           types.OperationType(op.Type),
		SubType:        optString(op.SubType),
		Status:         types.OperationStatus(op.Status),
		StartTimestamp: optTime(op.StartTimestamp),
		EndTimestamp:   optTime(op.EndTimestamp),
	}
	if d := op.ExecutionDetails; d != nil {
		o.ExecutionDetails = &types.ExecutionDetails{InputPayload: optString(d.InputPayload)}
	}
	if d := op.StepDetails; d != nil {
		o.StepDetails = &types.StepDetails{Attempt: int32(d.Attempt), Result: optString(d.Result), Error: ErrorToSDK(d.Error), NextAttemptTimestamp: optTime(d.NextAttemptTimestamp)}
	}
	if d := op.WaitDetails; d != nil {
		o.WaitDetails = &types.WaitDetails{ScheduledEndTimestamp: optTime(d.ScheduledEndTimestamp)}
	}
	if d := op.CallbackDetails; d != nil {
		o.CallbackDetails = &types.CallbackDetails{CallbackId: optString(d.CallbackId), Result: optString(d.Result), Error: ErrorToSDK(d.Error)}
	}
	if d := op.ChainedInvokeDetails; d != nil {
		o.ChainedInvokeDetails = &types.ChainedInvokeDetails{Result: optString(d.Result), Error: ErrorToSDK(d.Error)}
	}
	if d := op.ContextDetails; d != nil {
		o.ContextDetails = &types.ContextDetails{Result: optString(d.Result), Error: ErrorToSDK(d.Error), ReplayChildren: aws.Bool(d.ReplayChildren)}
	}
	return o
}

// UpdateFromSDK converts an SDK operation update to the wire shape (the
// inverse of UpdateToSDK).
func UpdateFromSDK(u *types.OperationUpdate) wire.OperationUpdate {
	o := wire.OperationUpdate{
		Id:       aws.ToString(u.Id),
		ParentId: aws.ToString(u.ParentId),
		Name:     aws.ToString(u.Name),
		Type:     wire.OperationType(u.Type),
		SubType:  aws.ToString(u.SubType),
		Action:   wire.OperationAction(u.Action),
		Payload:  aws.ToString(u.Payload),
		Error:    ErrorFromSDK(u.Error),
	}
	if s := u.StepOptions; s != nil {
		o.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: aws.ToInt32(s.NextAttemptDelaySeconds)}
	}
	if w := u.WaitOptions; w != nil {
		o.WaitOptions = &wire.WaitOptions{WaitSeconds: aws.ToInt32(w.WaitSeconds)}
	}
	if c := u.CallbackOptions; c != nil {
		o.CallbackOptions = &wire.CallbackOptions{TimeoutSeconds: c.TimeoutSeconds, HeartbeatTimeoutSeconds: c.HeartbeatTimeoutSeconds}
	}
	if c := u.ChainedInvokeOptions; c != nil {
		o.ChainedInvokeOptions = &wire.ChainedInvokeOptions{FunctionName: aws.ToString(c.FunctionName), TenantId: aws.ToString(c.TenantId)}
	}
	if c := u.ContextOptions; c != nil {
		o.ContextOptions = &wire.ContextOptions{ReplayChildren: aws.ToBool(c.ReplayChildren)}
	}
	return o
}

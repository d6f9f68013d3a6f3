package durabletest

import (
	"encoding/json"
	"fmt"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// Service limits (§3.5 of the protocol reference).
const (
	maxStepPayload          = 262144
	maxContextPayload       = 262144
	maxErrorObject          = 262144
	maxChainedInvokePayload = 1048576
	maxPayload              = 6291456
	maxWaitSeconds          = 31622400
	maxIDLength             = 64
	maxNameLength           = 256
)

func validationError(msg string) *wire.APIError {
	if len(msg) < 2 || msg[:2] != "1 " {
		msg = "1 validation error detected: " + msg
	}
	return &wire.APIError{Code: "ValidationException", Message: msg, StatusCode: 400}
}

func invalidParam(msg string) *wire.APIError {
	return &wire.APIError{Code: "InvalidParameterValueException", Message: msg, StatusCode: 400}
}

func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

var validActions = map[wire.OperationType][]wire.OperationAction{
	wire.TypeStep:          {wire.ActionStart, wire.ActionSucceed, wire.ActionFail, wire.ActionRetry},
	wire.TypeContext:       {wire.ActionStart, wire.ActionSucceed, wire.ActionFail},
	wire.TypeWait:          {wire.ActionStart, wire.ActionCancel},
	wire.TypeCallback:      {wire.ActionStart},
	wire.TypeChainedInvoke: {wire.ActionStart, wire.ActionCancel},
	wire.TypeExecution:     {wire.ActionSucceed, wire.ActionFail},
}

func knownAction(a wire.OperationAction) bool {
	switch a {
	case wire.ActionStart, wire.ActionSucceed, wire.ActionFail, wire.ActionRetry, wire.ActionCancel:
		return true
	}
	return false
}

// validateShape checks the constraints of the API model, which the service
// enforces (as ValidationException) before looking at the state.
func validateShape(updates []wire.OperationUpdate) error {
	for i := range updates {
		u := &updates[i]
		at := func(field string) string {
			return fmt.Sprintf("Value at 'updates.%d.member.%s' failed to satisfy constraint: ", i+1, field)
		}
		switch {
		case u.Id == "":
			return validationError(at("id") + "Member must not be null")
		case len(u.Id) > maxIDLength:
			return validationError(at("id") + "Member must have length less than or equal to 64")
		case !validID(u.Id):
			return validationError(at("id") + "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
		case u.ParentId != "" && len(u.ParentId) > maxIDLength:
			return validationError(at("parentId") + "Member must have length less than or equal to 64")
		case u.ParentId != "" && !validID(u.ParentId):
			return validationError(at("parentId") + "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
		case len(u.Name) > maxNameLength:
			return validationError(at("name") + "Member must have length less than or equal to 256")
		case !printableASCII(u.Name):
			return validationError(at("name") + "Member must satisfy regular expression pattern: [\\x20-\\x7E]+")
		case validActions[u.Type] == nil:
			return validationError(at("type") + "Member must satisfy enum value set: [EXECUTION, CONTEXT, STEP, WAIT, CALLBACK, CHAINED_INVOKE]")
		case !knownAction(u.Action):
			return validationError(at("action") + "Member must satisfy enum value set: [START, SUCCEED, FAIL, RETRY, CANCEL]")
		case len(u.Payload) > maxPayload:
			return validationError(at("payload") + "Member must have length less than or equal to 6291456")
		case u.WaitOptions != nil && u.WaitOptions.WaitSeconds < 1:
			return validationError(at("waitOptions.waitSeconds") + "Member must have value greater than or equal to 1")
		case u.WaitOptions != nil && u.WaitOptions.WaitSeconds > maxWaitSeconds:
			return validationError(at("waitOptions.waitSeconds") + "Member must have value less than or equal to 31622400")
		case u.StepOptions != nil && u.StepOptions.NextAttemptDelaySeconds < 0:
			return validationError(at("stepOptions.nextAttemptDelaySeconds") + "Member must have value greater than or equal to 0")
		case u.StepOptions != nil && u.StepOptions.NextAttemptDelaySeconds > maxWaitSeconds:
			return validationError(at("stepOptions.nextAttemptDelaySeconds") + "Member must have value less than or equal to 31622400")
		case u.CallbackOptions != nil && u.CallbackOptions.TimeoutSeconds < 0:
			return validationError(at("callbackOptions.timeoutSeconds") + "Member must have value greater than or equal to 0")
		case u.CallbackOptions != nil && u.CallbackOptions.HeartbeatTimeoutSeconds < 0:
			return validationError(at("callbackOptions.heartbeatTimeoutSeconds") + "Member must have value greater than or equal to 0")
		}
	}
	return nil
}

// simOp is what validation knows about an operation while it walks a
// batch: the recorded state, updated by the batch's earlier updates.
type simOp struct {
	typ      wire.OperationType
	subType  string
	name     string
	parentID string
	status   wire.OperationStatus
}

// validate checks a batch against the constraints and the execution's state
// without changing anything, so the batch applies all or nothing.
func (e *execution) validate(updates []wire.OperationUpdate) error {
	if err := validateShape(updates); err != nil {
		return err
	}
	if len(updates) == 0 {
		return nil
	}
	execUpdates := 0
	for i := range updates {
		if updates[i].Type == wire.TypeExecution {
			execUpdates++
		}
	}
	if execUpdates > 1 {
		return invalidParam("Cannot checkpoint multiple EXECUTION updates.")
	}
	if execUpdates == 1 && updates[len(updates)-1].Type != wire.TypeExecution {
		return invalidParam("EXECUTION checkpoint must be the last update.")
	}

	var batch map[string]*simOp // state after this batch's earlier updates
	var last map[string]*wire.OperationUpdate
	if len(updates) > 1 {
		batch = make(map[string]*simOp, len(updates))
		last = make(map[string]*wire.OperationUpdate, len(updates))
	}
	current := func(id string) *simOp {
		if s, ok := batch[id]; ok {
			return s
		}
		if r, ok := e.index[id]; ok {
			return &simOp{typ: r.op.Type, subType: r.op.SubType, name: r.op.Name, parentID: r.op.ParentId, status: r.op.Status}
		}
		return nil
	}
	for i := range updates {
		u := &updates[i]
		// One update per Id per batch, except a STEP or CONTEXT START
		// followed by one completing action.
		if prev, ok := last[u.Id]; ok {
			allowed := (prev.Type == wire.TypeStep || prev.Type == wire.TypeContext) &&
				prev.Action == wire.ActionStart && u.Action != wire.ActionStart
			if !allowed {
				return invalidParam("Cannot checkpoint multiple operations with the same ID.")
			}
		}
		if u.ParentId != "" {
			p := current(u.ParentId)
			if p == nil || p.typ != wire.TypeContext {
				return invalidParam("Invalid parent operation id.")
			}
		}
		cur := current(u.Id)
		if u.Type == wire.TypeExecution {
			if cur != nil && cur.typ != wire.TypeExecution {
				return invalidParam("Inconsistent operation type.")
			}
			cur = &simOp{typ: wire.TypeExecution, status: e.execOp.op.Status}
		}
		if err := validateUpdate(u, cur); err != nil {
			return err
		}
		if batch != nil {
			next := &simOp{typ: u.Type, subType: u.SubType, name: u.Name, parentID: u.ParentId}
			if cur != nil {
				c := *cur
				next = &c
			}
			next.status = resultingStatus(u)
			batch[u.Id] = next
			last[u.Id] = u
		}
	}
	return nil
}

func resultingStatus(u *wire.OperationUpdate) wire.OperationStatus {
	switch u.Action {
	case wire.ActionStart:
		return wire.StatusStarted
	case wire.ActionSucceed:
		return wire.StatusSucceeded
	case wire.ActionFail:
		return wire.StatusFailed
	case wire.ActionRetry:
		return wire.StatusPending
	default:
		return wire.StatusCancelled
	}
}

// validateUpdate checks one update against the operation's current state
// (nil when it does not exist yet).
func validateUpdate(u *wire.OperationUpdate, cur *simOp) error {
	if cur != nil && u.Type != wire.TypeExecution {
		switch {
		case u.Type != cur.typ:
			return invalidParam(fmt.Sprintf("Inconsistent operation type: operation %s is a %s, the update says %s.", u.Id, cur.typ, u.Type))
		case u.SubType != "" && u.SubType != cur.subType:
			return invalidParam(fmt.Sprintf("Inconsistent operation subtype: operation %s has subtype %q, the update says %q.", u.Id, cur.subType, u.SubType))
		case u.Name != "" && u.Name != cur.name:
			return invalidParam(fmt.Sprintf("Inconsistent operation name: operation %s is named %q, the update says %q.", u.Id, cur.name, u.Name))
		case u.ParentId != "" && u.ParentId != cur.parentID:
			return invalidParam(fmt.Sprintf("Inconsistent parent operation id: operation %s has parent %q, the update says %q.", u.Id, cur.parentID, u.ParentId))
		}
	}
	// Payload sizes.
	if u.Error != nil {
		b, _ := json.Marshal(u.Error)
		if len(b) > maxErrorObject {
			return invalidParam("Error object size must be less than or equal to 262144 bytes.")
		}
	}
	switch {
	case u.Type == wire.TypeStep && (u.Action == wire.ActionSucceed || u.Action == wire.ActionRetry) && len(u.Payload) > maxStepPayload:
		return invalidParam("STEP output payload size must be less than or equal to 262144 bytes.")
	case u.Type == wire.TypeContext && u.Action == wire.ActionSucceed && len(u.Payload) > maxContextPayload:
		return invalidParam("CONTEXT output payload size must be less than or equal to 262144 bytes.")
	case u.Type == wire.TypeChainedInvoke && u.Action == wire.ActionStart && len(u.Payload) > maxChainedInvokePayload:
		return invalidParam("CHAINED_INVOKE input payload size must be less than or equal to 1048576 bytes.")
	}
	// Action legal for the type.
	legal := false
	for _, a := range validActions[u.Type] {
		legal = legal || a == u.Action
	}
	if !legal {
		return invalidParam(fmt.Sprintf("Invalid action %s for operation type %s.", u.Action, u.Type))
	}
	// Fields each action requires or forbids.
	switch {
	case u.Action == wire.ActionFail && u.Payload != "":
		return invalidParam("A FAIL update must not carry a Payload.")
	case u.Action == wire.ActionSucceed && u.Error != nil:
		return invalidParam("A SUCCEED update must not carry an Error.")
	case u.Type == wire.TypeStep && u.Action == wire.ActionRetry && u.StepOptions == nil:
		return invalidParam("StepOptions are required for a STEP RETRY.")
	case u.Type == wire.TypeStep && u.Action == wire.ActionRetry && u.Error != nil && u.Payload != "":
		return invalidParam("A STEP RETRY must not carry both an Error and a Payload.")
	case u.Type == wire.TypeWait && u.Action == wire.ActionStart && u.WaitOptions == nil:
		return invalidParam("WaitOptions are required for a WAIT START.")
	case u.Type == wire.TypeChainedInvoke && u.Action == wire.ActionStart && (u.ChainedInvokeOptions == nil || u.ChainedInvokeOptions.FunctionName == ""):
		return invalidParam("ChainedInvokeOptions.FunctionName is required for a CHAINED_INVOKE START.")
	}
	// Status transition.
	var status wire.OperationStatus
	if cur != nil {
		status = cur.status
	}
	ok := false
	switch u.Type {
	case wire.TypeStep:
		switch u.Action {
		case wire.ActionStart:
			ok = cur == nil || status == wire.StatusReady
		default:
			ok = status == wire.StatusStarted || status == wire.StatusReady
		}
	case wire.TypeContext:
		if u.Action == wire.ActionStart {
			ok = cur == nil
		} else {
			ok = status == wire.StatusStarted
		}
	case wire.TypeWait, wire.TypeChainedInvoke:
		if u.Action == wire.ActionStart {
			ok = cur == nil
		} else {
			ok = status == wire.StatusStarted
		}
	case wire.TypeCallback:
		ok = cur == nil
	case wire.TypeExecution:
		ok = status == wire.StatusStarted
	}
	if !ok {
		if cur == nil {
			return invalidParam(fmt.Sprintf("Invalid status transition: %s %s of operation %s, which does not exist.", u.Type, u.Action, u.Id))
		}
		return invalidParam(fmt.Sprintf("Invalid status transition: %s %s of operation %s in status %s.", u.Type, u.Action, u.Id, status))
	}
	return nil
}

package durable

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// wireID turns a positional operation id ("1", "2-1", ...) into the id sent
// to the service: the first 16 hex digits of its MD5, as the official Go
// and JavaScript SDKs do (§6.2), so histories stay comparable across SDKs.
func wireID(positional string) string {
	return wireIDOf([]byte(positional))
}

// wireIDOf is wireID of a positional id held in a byte slice; it allocates
// only the returned string.
func wireIDOf(positional []byte) string {
	sum := md5.Sum(positional)
	var buf [16]byte
	hex.Encode(buf[:], sum[:8])
	return string(buf[:])
}

// idMember is how every operation in a payload begins its id.
var idMember = []byte(`"Id":`)

// decodeInvocation decodes an invocation payload. The operations slice is
// sized before decoding by counting id members (a cheap byte scan), so a
// payload of a thousand operations is decoded into one allocation instead
// of being grown and copied ten times.
func decodeInvocation(payload []byte) (wire.InvocationInput, error) {
	var in wire.InvocationInput
	if n := bytes.Count(payload, idMember); n > 0 {
		in.InitialExecutionState.Operations = make([]wire.Operation, 0, n)
	}
	err := json.Unmarshal(payload, &in)
	return in, err
}

// operationStore is the invocation's view of the execution's operations,
// keyed by wire id. It is shared by every goroutine of the invocation.
type operationStore struct {
	mu  sync.RWMutex
	ops map[string]*wire.Operation
}

func newOperationStore(ops []*wire.Operation) *operationStore {
	s := &operationStore{ops: make(map[string]*wire.Operation, len(ops))}
	for _, op := range ops {
		s.ops[op.Id] = op
	}
	return s
}

// loadOperations returns every operation of the execution: the first page
// from the payload, the rest from GetDurableExecutionState. The operations
// stay in the pages they were decoded into; the store never changes them
// (apply and merge replace an operation rather than edit it).
func loadOperations(ctx context.Context, client ExecutionClient, in wire.InvocationInput) ([]*wire.Operation, error) {
	first := in.InitialExecutionState.Operations
	ops := make([]*wire.Operation, len(first), len(first)+1)
	for i := range first {
		ops[i] = &first[i]
	}
	for marker := in.InitialExecutionState.NextMarker; marker != ""; {
		page, err := client.GetExecutionState(ctx, wire.StateRequest{
			DurableExecutionArn: in.DurableExecutionArn,
			CheckpointToken:     in.CheckpointToken,
			Marker:              marker,
			MaxItems:            statePageSize,
		})
		if err != nil {
			return nil, err
		}
		for i := range page.Operations {
			ops = append(ops, &page.Operations[i])
		}
		marker = page.NextMarker
	}
	return ops, nil
}

// get returns the operation with wire id id.
func (s *operationStore) get(id string) (wire.Operation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	op, ok := s.ops[id]
	if !ok {
		return wire.Operation{}, false
	}
	return *op, true
}

// execution returns the EXECUTION operation.
func (s *operationStore) execution() (wire.Operation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, op := range s.ops {
		if op.Type == wire.TypeExecution {
			return *op, true
		}
	}
	return wire.Operation{}, false
}

// merge replaces the operations the service reported and returns their ids.
func (s *operationStore) merge(ops []wire.Operation) []string {
	if len(ops) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ops))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range ops {
		op := ops[i]
		s.ops[op.Id] = &op
		ids = append(ids, op.Id)
	}
	return ids
}

// apply records the effect of an update the service accepted, so the
// invocation's view is right even when a response omits the operation.
// Operations the response reports replace this local view afterwards.
func (s *operationStore) apply(u wire.OperationUpdate, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[u.Id]
	if !ok {
		op = &wire.Operation{Id: u.Id, ParentId: u.ParentId, Name: u.Name, Type: u.Type, SubType: u.SubType, StartTimestamp: wire.At(now)}
		s.ops[u.Id] = op
	} else {
		copied := *op
		op = &copied
		s.ops[u.Id] = op
	}
	switch u.Type {
	case wire.TypeStep:
		d := wire.StepDetails{}
		if op.StepDetails != nil {
			d = *op.StepDetails
		}
		switch u.Action {
		case wire.ActionStart:
			op.Status = wire.StatusStarted
		case wire.ActionSucceed:
			op.Status, d.Result, d.Error = wire.StatusSucceeded, u.Payload, nil
		case wire.ActionFail:
			op.Status, d.Error = wire.StatusFailed, u.Error
		case wire.ActionRetry:
			op.Status, d.Result, d.Error = wire.StatusPending, u.Payload, u.Error
			d.Attempt++
			if u.StepOptions != nil {
				d.NextAttemptTimestamp = wire.At(now.Add(time.Duration(u.StepOptions.NextAttemptDelaySeconds) * time.Second))
			}
		}
		op.StepDetails = &d
	case wire.TypeWait:
		if u.Action == wire.ActionStart {
			op.Status = wire.StatusStarted
			if u.WaitOptions != nil {
				op.WaitDetails = &wire.WaitDetails{ScheduledEndTimestamp: wire.At(now.Add(time.Duration(u.WaitOptions.WaitSeconds) * time.Second))}
			}
		}
	case wire.TypeContext:
		d := wire.ContextDetails{}
		switch u.Action {
		case wire.ActionStart:
			op.Status = wire.StatusStarted
		case wire.ActionSucceed:
			op.Status, d.Result = wire.StatusSucceeded, u.Payload
			d.ReplayChildren = u.ContextOptions != nil && u.ContextOptions.ReplayChildren
		case wire.ActionFail:
			op.Status, d.Error = wire.StatusFailed, u.Error
		}
		op.ContextDetails = &d
	case wire.TypeCallback, wire.TypeChainedInvoke:
		if u.Action == wire.ActionStart {
			op.Status = wire.StatusStarted
		}
	case wire.TypeExecution:
		switch u.Action {
		case wire.ActionSucceed:
			op.Status = wire.StatusSucceeded
		case wire.ActionFail:
			op.Status = wire.StatusFailed
		}
	}
	if op.Status.Terminal() {
		op.EndTimestamp = wire.At(now)
	}
}

// OperationID returns the id the runtime records for the operation at
// positional id positional ("1" for the first operation of the handler,
// "2-1" for the first one inside the context started second). Tools that
// build or inspect execution histories use it.
func OperationID(positional string) string { return wireID(positional) }

package durabletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/durable/wire"
)

// mini is a tiny hand-written durable runtime speaking the wire protocol,
// enough to drive the service in tests without package durable's engine.
type mini struct {
	ctx    context.Context
	client durable.ExecutionClient
	arn    string
	token  string
	ops    map[string]wire.Operation
	input  string
	noTok  bool
}

var errSuspend = errors.New("suspend")

func loadMini(ctx context.Context, client durable.ExecutionClient, payload []byte) (*mini, error) {
	var in wire.InvocationInput
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, err
	}
	m := &mini{ctx: ctx, client: client, arn: in.DurableExecutionArn, token: in.CheckpointToken, ops: map[string]wire.Operation{}}
	for _, op := range in.InitialExecutionState.Operations {
		m.ops[op.Id] = op
	}
	for marker := in.InitialExecutionState.NextMarker; marker != ""; {
		st, err := client.GetExecutionState(ctx, wire.StateRequest{DurableExecutionArn: m.arn, CheckpointToken: m.token, Marker: marker, MaxItems: 1000})
		if err != nil {
			return nil, err
		}
		for _, op := range st.Operations {
			m.ops[op.Id] = op
		}
		marker = st.NextMarker
	}
	for _, op := range m.ops {
		if op.Type == wire.TypeExecution {
			m.input = op.ExecutionDetails.InputPayload
		}
	}
	return m, nil
}

func (m *mini) checkpoint(updates ...wire.OperationUpdate) error {
	if m.noTok {
		return errSuspend
	}
	resp, err := m.client.Checkpoint(m.ctx, wire.CheckpointRequest{DurableExecutionArn: m.arn, CheckpointToken: m.token, Updates: updates})
	if err != nil {
		return err
	}
	m.token = resp.CheckpointToken
	if resp.NewExecutionState != nil {
		for _, op := range resp.NewExecutionState.Operations {
			m.ops[op.Id] = op
		}
		for marker := resp.NewExecutionState.NextMarker; marker != "" && m.token != ""; {
			st, err := m.client.GetExecutionState(m.ctx, wire.StateRequest{DurableExecutionArn: m.arn, CheckpointToken: m.token, Marker: marker})
			if err != nil {
				return err
			}
			for _, op := range st.Operations {
				m.ops[op.Id] = op
			}
			marker = st.NextMarker
		}
	}
	if m.token == "" {
		m.noTok = true
	}
	return nil
}

// step runs fn as STEP id unless recorded; failures retry with a 1 s delay
// until maxAttempts.
func (m *mini) step(id, name string, maxAttempts int, fn func(attempt int) (string, error)) (string, error) {
	op, ok := m.ops[id]
	if ok {
		switch op.Status {
		case wire.StatusSucceeded:
			return op.StepDetails.Result, nil
		case wire.StatusFailed:
			return "", fmt.Errorf("step %s failed: %s", id, op.StepDetails.Error.ErrorMessage)
		case wire.StatusPending:
			return "", errSuspend
		}
	}
	attempt := 1
	if ok && op.StepDetails != nil {
		attempt = op.StepDetails.Attempt + 1
	}
	base := wire.OperationUpdate{Id: id, Name: name, Type: wire.TypeStep, SubType: wire.SubTypeStep}
	start := base
	start.Action = wire.ActionStart
	res, err := fn(attempt)
	done := base
	switch {
	case err == nil:
		done.Action = wire.ActionSucceed
		done.Payload = res
	case attempt < maxAttempts:
		done.Action = wire.ActionRetry
		done.Error = &wire.ErrorObject{ErrorType: "Error", ErrorMessage: err.Error()}
		done.StepOptions = &wire.StepOptions{NextAttemptDelaySeconds: 1}
	default:
		done.Action = wire.ActionFail
		done.Error = &wire.ErrorObject{ErrorType: "Error", ErrorMessage: err.Error()}
	}
	if cerr := m.checkpoint(start, done); cerr != nil {
		return "", cerr
	}
	switch done.Action {
	case wire.ActionSucceed:
		return res, nil
	case wire.ActionRetry:
		return "", errSuspend
	}
	return "", fmt.Errorf("step %s failed: %w", id, err)
}

func (m *mini) wait(id string, seconds int32) error {
	op, ok := m.ops[id]
	if ok {
		if op.Status == wire.StatusSucceeded {
			return nil
		}
		return errSuspend
	}
	if err := m.checkpoint(wire.OperationUpdate{Id: id, Type: wire.TypeWait, SubType: wire.SubTypeWait, Action: wire.ActionStart, WaitOptions: &wire.WaitOptions{WaitSeconds: seconds}}); err != nil {
		return err
	}
	return errSuspend
}

// finish turns a flow's outcome into the invocation response.
func (m *mini) finish(result string, err error) ([]byte, error) {
	switch {
	case err == nil:
		return json.Marshal(wire.InvocationOutput{Status: wire.InvocationSucceeded, Result: result})
	case errors.Is(err, errSuspend):
		return json.Marshal(wire.InvocationOutput{Status: wire.InvocationPending})
	}
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return nil, err // invocation error: Lambda retries
	}
	return json.Marshal(wire.InvocationOutput{Status: wire.InvocationFailed, Error: &wire.ErrorObject{ErrorType: "Error", ErrorMessage: err.Error()}})
}

// miniFlow is a workflow: n steps, a wait, a flaky step that succeeds on
// its third attempt; the result is the sum of the steps' results.
func miniFlow(n int, waitSeconds int32) func(durable.ExecutionClient) durable.RawHandler {
	return func(client durable.ExecutionClient) durable.RawHandler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			m, err := loadMini(ctx, client, payload)
			if err != nil {
				return nil, err
			}
			return m.finish(func() (string, error) {
				sum := 0
				for i := 1; i <= n; i++ {
					r, err := m.step("s"+strconv.Itoa(i), "step-"+strconv.Itoa(i), 1, func(int) (string, error) { return strconv.Itoa(i), nil })
					if err != nil {
						return "", err
					}
					v, _ := strconv.Atoi(r)
					sum += v
				}
				if err := m.wait("w", waitSeconds); err != nil {
					return "", err
				}
				if _, err := m.step("flaky", "flaky", 5, func(attempt int) (string, error) {
					if attempt < 3 {
						return "", fmt.Errorf("attempt %d failed", attempt)
					}
					return `"ok"`, nil
				}); err != nil {
					return "", err
				}
				return strconv.Itoa(sum), nil
			}())
		}
	}
}

type (
	durableClient = durable.ExecutionClient
	rawHandler    = durable.RawHandler
)

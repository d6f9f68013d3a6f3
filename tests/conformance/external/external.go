// Package external plays the external system of the conformance suites'
// callback requirements: it sends each requirement's CallbackActions to the
// callbacks of an execution through the Lambda API over HTTP
// (aws-sdk-go-v2's SendDurableExecutionCallbackSuccess, ...Failure and
// ...Heartbeat against a durabletest.Server), at the virtual time the
// fixture asks for.
package external

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bedrockvideo/pipeline/durable/durabletest"
	"github.com/bedrockvideo/pipeline/tests/conformance/fixture"
)

// Player sends callback actions. Give its OnBlocked to
// durabletest.WithOnBlocked; Close it when the run is over.
type Player struct {
	srv     *durabletest.Server
	api     *lambda.Client
	actions []fixture.CallbackAction
	used    []bool
	// assigned holds the CALLBACK operations already given their actions.
	assigned map[string]bool
	pending  []*scheduled
}

// scheduled is an action bound to one callback, due at a virtual time.
type scheduled struct {
	opID, callbackID string
	action           fixture.CallbackAction
	due              time.Time
	seq              int
}

// New serves svc's Lambda API on loopback for the actions to go through.
func New(svc *durabletest.Service, actions []fixture.CallbackAction) (*Player, error) {
	srv, err := durabletest.NewServer(svc)
	if err != nil {
		return nil, fmt.Errorf("serve the callback API: %w", err)
	}
	api := lambda.New(lambda.Options{
		BaseEndpoint:     aws.String(srv.URL()),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXTERNAL", "external-secret", ""),
		RetryMaxAttempts: 1,
	})
	return &Player{srv: srv, api: api, actions: actions, used: make([]bool, len(actions)), assigned: map[string]bool{}}, nil
}

// Close stops the server.
func (p *Player) Close() error { return p.srv.Close() }

// OnBlocked is called while the execution is suspended on a callback. It
// binds the actions to the callbacks started so far (each CallbackStarted
// takes the first unused action whose name fits, plus the following ones
// after a heartbeat) and sends the earliest due action, moving the virtual
// clock to its time, unless a timer of the execution is due first (then the
// service fires it and the function runs before the action is sent).
func (p *Player) OnBlocked(ctx context.Context, svc *durabletest.Service, arn string) error {
	if err := p.bind(svc, arn); err != nil {
		return err
	}
	for len(p.pending) > 0 {
		open, err := svc.OpenCallbacks(arn)
		if err != nil {
			return err
		}
		isOpen := map[string]bool{}
		for _, op := range open {
			isOpen[op.Id] = true
		}
		p.pending = slices.DeleteFunc(p.pending, func(s *scheduled) bool { return !isOpen[s.opID] })
		if len(p.pending) == 0 {
			return nil
		}
		slices.SortFunc(p.pending, func(a, b *scheduled) int {
			return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.seq, b.seq))
		})
		next := p.pending[0]
		if due, ok, err := svc.NextTimer(arn); err != nil {
			return err
		} else if ok && due.Before(next.due) {
			return nil
		}
		if err := svc.AdvanceClock(arn, next.due); err != nil {
			return err
		}
		p.pending = p.pending[1:]
		if err := p.send(ctx, next); err != nil {
			return err
		}
		if next.action.Terminal() {
			return nil
		}
	}
	return nil
}

// bind assigns actions to callbacks whose CallbackStarted is new.
func (p *Player) bind(svc *durabletest.Service, arn string) error {
	history, err := svc.History(arn)
	if err != nil {
		return err
	}
	for _, ev := range history {
		if ev.EventType != durabletest.EventCallbackStarted || p.assigned[ev.Id] || ev.CallbackStartedDetails == nil {
			continue
		}
		p.assigned[ev.Id] = true
		due := ev.EventTimestamp
		for i, a := range p.actions {
			if p.used[i] || !a.Matches(ev.Name) {
				continue
			}
			p.used[i] = true
			due = due.Add(a.Delay)
			p.pending = append(p.pending, &scheduled{opID: ev.Id, callbackID: ev.CallbackStartedDetails.CallbackId, action: a, due: due, seq: i})
			if a.Terminal() {
				break
			}
		}
	}
	return nil
}

// send delivers one action through the Lambda API.
func (p *Player) send(ctx context.Context, s *scheduled) error {
	id := aws.String(s.callbackID)
	var err error
	switch s.action.Operation {
	case "success":
		var result []byte
		if result, err = s.action.Result(); err != nil {
			return fmt.Errorf("encode the callback result: %w", err)
		}
		_, err = p.api.SendDurableExecutionCallbackSuccess(ctx, &lambda.SendDurableExecutionCallbackSuccessInput{CallbackId: id, Result: result})
	case "failure":
		typ, msg, data := s.action.Failure()
		eo := &types.ErrorObject{ErrorType: optional(typ), ErrorMessage: optional(msg), ErrorData: optional(data)}
		_, err = p.api.SendDurableExecutionCallbackFailure(ctx, &lambda.SendDurableExecutionCallbackFailureInput{CallbackId: id, Error: eo})
	case "heartbeat":
		_, err = p.api.SendDurableExecutionCallbackHeartbeat(ctx, &lambda.SendDurableExecutionCallbackHeartbeatInput{CallbackId: id})
	}
	if err != nil {
		return fmt.Errorf("callback %s of operation %s: %s: %w", s.callbackID, s.opID, s.action.Operation, err)
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

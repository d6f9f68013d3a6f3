package durable

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/durable/wire"
)

// MinWait is the shortest wait the service accepts.
const MinWait = time.Second

// Wait suspends the workflow for d (rounded up to whole seconds, at least
// MinWait). No compute is billed while the execution waits unless other
// work of the same invocation is still running.
func Wait(ctx Context, name string, d time.Duration) error {
	if d < MinWait {
		return fmt.Errorf("durable: wait %q: duration %v is shorter than the minimum of %v", name, d, MinWait)
	}
	return ctx.workflow().runWait(name, wholeSeconds(d))
}

// runWait starts or resumes a timed wait (§5.2).
func (s *scope) runWait(name string, seconds int32) error {
	if err := s.usable(); err != nil {
		return err
	}
	wid, op, found, err := s.lookupWire(s.claimWire(), wire.TypeWait, wire.SubTypeWait, name)
	if err != nil {
		return err
	}
	if !found {
		u := s.update(wid, wire.TypeWait, wire.SubTypeWait, name, wire.ActionStart)
		u.WaitOptions = &wire.WaitOptions{WaitSeconds: seconds}
		if err := s.inv.cp.send(s, u); err != nil {
			return err
		}
		op, _ = s.inv.store.get(wid)
	}
	switch op.Status {
	case wire.StatusSucceeded, wire.StatusCancelled:
		s.observed(wid)
		return nil
	case wire.StatusStarted:
		s.resumed()
		var due time.Time
		if op.WaitDetails != nil {
			due = op.WaitDetails.ScheduledEndTimestamp.Time
		}
		if err := s.inv.coord.block(s, wid, due, func(op wire.Operation) bool { return op.Status.Terminal() }); err != nil {
			return err
		}
		op, _ = s.inv.store.get(wid)
		if op.Status == wire.StatusSucceeded || op.Status == wire.StatusCancelled {
			return nil
		}
	}
	return fmt.Errorf("durable: wait %q ended with status %s", name, op.Status)
}

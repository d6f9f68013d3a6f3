package durable

import (
	"fmt"
	"time"
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

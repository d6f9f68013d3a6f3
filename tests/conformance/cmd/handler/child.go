package main

import (
	"errors"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

// The fixtures that bind a child's Name (Name: ${NAME1}) need the key in
// the history, so those children are named; the others are not.

// echoStep is a step returning s.
func echoStep(ctx durable.Context, s string) (string, error) {
	return durable.Step(ctx, "", func(durable.StepContext) (string, error) { return s, nil })
}

// failingStep is a step that fails for good.
func failingStep(ctx durable.Context, msg string) (string, error) {
	return durable.Step(ctx, "", func(durable.StepContext) (string, error) {
		return "", errors.New(msg)
	}, durable.WithRetry(durable.NoRetry))
}

type namedValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// largeResultBytes is above the 256 KiB a CONTEXT result may carry inline,
// so the child is recorded with ReplayChildren.
const largeResultBytes = 300 * 1024

type largeSummary struct {
	Length int    `json:"length"`
	Prefix string `json:"prefix"`
}

var childCases = map[string]caseHandler{
	// 3-1: a child with one step.
	"3-1": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "", func(c durable.Context) (string, error) { return echoStep(c, ev.Input) })
	}),
	// 3-2: the child is named after the input.
	"3-2": handle(func(ctx durable.Context, ev event[namedValue]) (string, error) {
		return durable.RunInChildContext(ctx, ev.Input.Name, func(c durable.Context) (string, error) { return echoStep(c, ev.Input.Value) })
	}),
	// 3-3: two steps in a child, the second fed by the first.
	"3-3": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "sequential-steps", func(c durable.Context) (string, error) {
			first, err := echoStep(c, ev.Input)
			if err != nil {
				return "", err
			}
			return echoStep(c, first)
		})
	}),
	// 3-4: the child's step fails; so do the child and the execution.
	"3-4": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.RunInChildContext(ctx, "failing-child", func(c durable.Context) (string, error) {
			return failingStep(c, "inner step failed")
		})
	}),
	// 3-5: the child's failure is caught; a recovery step follows.
	"3-5": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		_, err := durable.RunInChildContext(ctx, "", func(c durable.Context) (string, error) {
			return failingStep(c, "inner step failed")
		})
		if err == nil {
			return "", errors.New("the failing child succeeded")
		}
		if !caught(err) {
			return "", err
		}
		return echoStep(ctx, ev.Input)
	}),
	// 3-6: a child inside a child, each with a step.
	"3-6": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "outer", func(outer durable.Context) (string, error) {
			if _, err := echoStep(outer, ev.Input); err != nil {
				return "", err
			}
			return durable.RunInChildContext(outer, "inner", func(inner durable.Context) (string, error) {
				return echoStep(inner, ev.Input)
			})
		})
	}),
	// 3-7: the child's step fails once and succeeds on the retry.
	"3-7": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "retrying-child", func(c durable.Context) (string, error) {
			return durable.Step(c, "", failUntil(1, ev.Input), durable.WithRetry(fixedRetry(3)))
		})
	}),
	// 3-8: the child's step exhausts two attempts.
	"3-8": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.RunInChildContext(ctx, "exhausted-child", func(c durable.Context) (string, error) {
			return durable.Step(c, "", failUntil(2, "unreachable"), durable.WithRetry(fixedRetry(2)))
		})
	}),
	// 3-9: a finished child followed by a wait; replay returns the
	// child's recorded result.
	"3-9": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		v, err := durable.RunInChildContext(ctx, "", func(c durable.Context) (string, error) { return echoStep(c, ev.Input) })
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return "", err
		}
		return v, nil
	}),
	// 3-10: a step and a wait inside a child.
	"3-10": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "step-then-wait", func(c durable.Context) (string, error) {
			v, err := echoStep(c, ev.Input)
			if err != nil {
				return "", err
			}
			return v, durable.Wait(c, "", time.Second)
		})
	}),
	// 3-11: the child's result is too large to checkpoint, so the replay
	// re-runs the child body (logging again) to rebuild it.
	"3-11": handleWith(replayLogs, func(ctx durable.Context, ev event[string]) (largeSummary, error) {
		big, err := durable.RunInChildContext(ctx, "large-result", func(c durable.Context) (string, error) {
			c.Logger().Info("building a large result for " + ev.Input)
			small, err := echoStep(c, ev.Input+"-")
			if err != nil {
				return "", err
			}
			return strings.Repeat(small, largeResultBytes/len(small)+1), nil
		})
		if err != nil {
			return largeSummary{}, err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return largeSummary{}, err
		}
		if len(big) <= largeResultBytes || !strings.HasPrefix(big, ev.Input+"-") {
			return largeSummary{}, errors.New("the large child result was not rebuilt on replay")
		}
		return largeSummary{Length: len(big), Prefix: big[:len(ev.Input)+1]}, nil
	}),
	// 3-12: the process crashes inside the child's step after StepStarted;
	// the next invocation runs the step again.
	"3-12": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		arn := ctx.ExecutionArn()
		return durable.RunInChildContext(ctx, "", func(c durable.Context) (string, error) {
			return durable.Step(c, "", func(durable.StepContext) (string, error) {
				if err := crashOnce(arn); err != nil {
					return "", err
				}
				return ev.Input, nil
			})
		})
	}),
	// 3-13: a child holding only a wait, then a step outside.
	"3-13": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		if _, err := durable.RunInChildContext(ctx, "waiting-child", func(c durable.Context) (string, error) {
			return ev.Input, durable.Wait(c, "", time.Second)
		}); err != nil {
			return "", err
		}
		return echoStep(ctx, ev.Input)
	}),
	// 3-14: the child's result is checkpointed upper-cased, as raw text.
	"3-14": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		return durable.RunInChildContext(ctx, "upper-child", func(c durable.Context) (string, error) {
			return echoStep(c, ev.Input)
		}, durable.WithChildSerdes(upperTextSerdes{}))
	}),
	// 3-15: the child body fails without any durable operation.
	"3-15": handle(func(ctx durable.Context, _ event[any]) (string, error) {
		return durable.RunInChildContext(ctx, "throwing-child", func(durable.Context) (string, error) {
			return "", errors.New("child body failed")
		})
	}),
	// 3-16: the child returns null without any durable operation.
	"3-16": handle(func(ctx durable.Context, _ event[any]) (any, error) {
		return durable.RunInChildContext(ctx, "null-child", func(durable.Context) (any, error) { return nil, nil })
	}),
	// 3-17: a child that only logs; after the wait the replay must not run
	// it again (the log is replay-visible, so a re-run would show).
	"3-17": handleWith(replayLogs, func(ctx durable.Context, ev event[string]) (string, error) {
		v, err := durable.RunInChildContext(ctx, "logging-child", func(c durable.Context) (string, error) {
			c.Logger().Info("child body running for " + ev.Input)
			return ev.Input, nil
		})
		if err != nil {
			return "", err
		}
		if err := durable.Wait(ctx, "", time.Second); err != nil {
			return "", err
		}
		return v, nil
	}),
	// 3-18: a step and a wait inside a child, then a step and a wait after.
	"3-18": handle(func(ctx durable.Context, ev event[string]) (string, error) {
		if _, err := durable.RunInChildContext(ctx, "mixed-child", func(c durable.Context) (string, error) {
			v, err := echoStep(c, ev.Input)
			if err != nil {
				return "", err
			}
			return v, durable.Wait(c, "", time.Second)
		}); err != nil {
			return "", err
		}
		v, err := echoStep(ctx, ev.Input)
		if err != nil {
			return "", err
		}
		return v, durable.Wait(ctx, "", time.Second)
	}),
}

// Command fn is a small durable function used by durabletest's process
// runner tests: it runs as a real Lambda function binary against the
// loopback server.
//
// Input {"items": [...]}; it upper-cases each item in a step, retries a
// flaky step, waits ten minutes, and returns {"labels": [...]}. When
// CRASH_FILE names a file that does not exist yet, the "risky" step creates
// it and crashes the process (os.Exit) — once.
package main

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
)

type input struct {
	Items []string `json:"items"`
}

type output struct {
	Labels []string `json:"labels"`
	Region string   `json:"region"`
}

func handler(ctx durable.Context, in input) (output, error) {
	var labels []string
	for _, item := range in.Items {
		l, err := durable.Step(ctx, "label-"+item, func(durable.StepContext) (string, error) {
			return strings.ToUpper(item), nil
		})
		if err != nil {
			return output{}, err
		}
		labels = append(labels, l)
	}
	if _, err := durable.Step(ctx, "risky", func(sc durable.StepContext) (bool, error) {
		if f := os.Getenv("CRASH_FILE"); f != "" {
			if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
				os.WriteFile(f, []byte("crashed"), 0o644)
				sc.Logger().Info("crashing on purpose")
				os.Exit(7)
			}
		}
		return true, nil
	}); err != nil {
		return output{}, err
	}
	if _, err := durable.Step(ctx, "flaky", func(sc durable.StepContext) (int, error) {
		if sc.Attempt() < 2 {
			return 0, errors.New("not yet")
		}
		return sc.Attempt(), nil
	}, durable.WithRetry(durable.RetryPolicy{MaxAttempts: 3, InitialDelay: 2 * time.Second, Jitter: durable.JitterNone}.Strategy())); err != nil {
		return output{}, err
	}
	if err := durable.Wait(ctx, "cool-off", 10*time.Minute); err != nil {
		return output{}, err
	}
	ctx.Logger().Info("labelled", "count", len(labels), "greeting", os.Getenv("GREETING"))
	return output{Labels: labels, Region: os.Getenv("AWS_REGION")}, nil
}

func main() {
	durable.Start(handler)
}

// Command bootstrap is the video pipeline's Lambda function: a durable
// function, invoked by an SQS event source mapping, that turns each record
// into a video with Amazon Bedrock (see package workflow and
// handler/README.md for its settings).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/workflow"
	"github.com/bedrockvideo/pipeline/videomodels"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A model past its end of life still starts the function: each job then
	// fails with ModelEndOfLife in its result.json, next to the job.
	if err := videomodels.Check(cfg.DefaultModel, cfg.BedrockRegion, time.Now()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Warn("jobs without a model will fail",
			"setting", config.EnvModelID, "model", cfg.DefaultModel, "error", err.Error())
	}
	deps, err := workflow.NewDeps(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	durable.Start(workflow.Handler(deps))
}

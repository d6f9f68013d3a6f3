// Command bootstrap is the video pipeline's Lambda function: a durable
// function, invoked by an SQS event source mapping, that turns each record
// into a video with Amazon Bedrock (see package workflow and
// handler/README.md for its settings).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/bedrockvideo/pipeline/durable"
	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/workflow"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deps, err := workflow.NewDeps(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	durable.Start(workflow.Handler(deps))
}

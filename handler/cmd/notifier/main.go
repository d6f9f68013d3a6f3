// Command notifier is the pipeline's notifier function: a plain Lambda
// function, invoked asynchronously by the output bucket's S3 event
// notifications for videos/*.mp4, that completes the durable callback the
// job's workflow waits on (see package notifier). It runs in the bucket's
// region and calls the Lambda callback API in the durable function's
// region.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	lambdaapi "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bedrockvideo/pipeline/handler/config"
	"github.com/bedrockvideo/pipeline/handler/jobstore"
	"github.com/bedrockvideo/pipeline/handler/notifier"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.NotifierFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	// S3 in the notifier's own region (AWS_REGION, the bucket's); the
	// standard environment applies (credentials, AWS_ENDPOINT_URL_S3,
	// AWS_ENDPOINT_URL_LAMBDA).
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, fmt.Errorf("loading AWS configuration: %w", err))
		os.Exit(1)
	}
	callbacks := lambdaapi.NewFromConfig(awsCfg, func(o *lambdaapi.Options) {
		o.Region = cfg.FunctionRegion()
	})
	n := notifier.New(cfg.OutputBucket, jobstore.NewFromConfig(awsCfg, cfg.OutputBucket), callbacks,
		log.With("durableFunction", cfg.FunctionName()))
	lambda.StartWithOptions(n.Handle, lambda.WithContext(ctx))
}

// Command plain is a small plain (not durable) Lambda function used by
// durabletest's PlainFunction tests.
//
// Input {"name": "...", "fail": bool, "exit": bool}: it logs a line, then
// returns {"greeting": "hello <name>", "region": $AWS_REGION, "mode":
// $MODE}, fails the invocation when fail is set, or exits with status 3
// when exit is set. With INIT_ERROR set it reports that message to the
// Runtime API's init/error route and exits, as a runtime whose
// initialization failed does.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	Name string `json:"name"`
	Fail bool   `json:"fail"`
	Exit bool   `json:"exit"`
}

type output struct {
	Greeting string `json:"greeting"`
	Region   string `json:"region"`
	Mode     string `json:"mode"`
}

func handle(_ context.Context, in input) (output, error) {
	slog.Info("greeting", "name", in.Name)
	switch {
	case in.Exit:
		os.Exit(3)
	case in.Fail:
		return output{}, errors.New("refusing " + in.Name)
	}
	return output{Greeting: "hello " + in.Name, Region: os.Getenv("AWS_REGION"), Mode: os.Getenv("MODE")}, nil
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if msg := os.Getenv("INIT_ERROR"); msg != "" {
		body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"InitFailed"}`, msg)
		resp, err := http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}

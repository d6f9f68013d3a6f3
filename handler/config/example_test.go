package config_test

import (
	"fmt"

	"github.com/bedrockvideo/pipeline/handler/config"
)

// The deployment writes the function's environment from typed values; the
// function reads the same values back.
func ExampleConfig_Environ() {
	c := config.Defaults("my-video-bucket")
	env := c.Environ()
	for _, name := range []string{config.EnvOutputBucket, config.EnvModelID, config.EnvRegion, config.EnvExecutionTimeout} {
		fmt.Printf("%s=%s\n", name, env[name])
	}
	back, err := config.FromEnviron(env)
	fmt.Println(err == nil && back.DefaultModel == c.DefaultModel && back.BedrockRegion == c.BedrockRegion)
	// Output:
	// OUTPUT_BUCKET_NAME=my-video-bucket
	// BEDROCK_MODEL_ID=luma.ray-v2:0
	// BEDROCK_REGION=us-west-2
	// DURABLE_EXECUTION_TIMEOUT_SECONDS=900
	// true
}

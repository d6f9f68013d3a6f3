package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Environment variables the notifier function reads. No other file spells
// them.
const (
	// EnvDurableFunctionARN (required) is the unqualified ARN of the
	// durable function whose callbacks the notifier completes. Its region
	// is where the notifier calls the Lambda callback API, which may differ
	// from the notifier's own region (the bucket's).
	EnvDurableFunctionARN = "DURABLE_FUNCTION_ARN"
)

// VideoSuffix is the suffix of the keys under OutputPrefix whose creation
// completes a job's callback: the bucket notification filters on it, and
// the notifier skips other keys.
const VideoSuffix = ".mp4"

// NotifierVariables lists every environment variable the notifier reads.
func NotifierVariables() []string {
	return []string{EnvOutputBucket, EnvDurableFunctionARN}
}

// functionARNPattern is an unqualified Lambda function ARN
// (arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName};
// function names are 1–64 letters, digits, hyphens and underscores: AWS
// Lambda API reference, CreateFunction, FunctionName).
var functionARNPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):lambda:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):function:([A-Za-z0-9_-]{1,64})$`)

// NotifierConfig is the notifier function's validated configuration.
type NotifierConfig struct {
	// OutputBucket is the pipeline's bucket, where the videos land and the
	// workflow registers its callbacks (EnvOutputBucket).
	OutputBucket string
	// DurableFunctionARN is the unqualified ARN of the durable function
	// (EnvDurableFunctionARN).
	DurableFunctionARN string
}

// FunctionRegion is the durable function's region, parsed from
// DurableFunctionARN ("" when it is not a function ARN).
func (c NotifierConfig) FunctionRegion() string {
	m := functionARNPattern.FindStringSubmatch(c.DurableFunctionARN)
	if m == nil {
		return ""
	}
	return m[2]
}

// FunctionName is the durable function's name, parsed from
// DurableFunctionARN ("" when it is not a function ARN).
func (c NotifierConfig) FunctionName() string {
	m := functionARNPattern.FindStringSubmatch(c.DurableFunctionARN)
	if m == nil {
		return ""
	}
	return m[4]
}

// Environ renders c as the notifier's environment: every variable of
// NotifierVariables. NotifierFromEnviron(c.Environ()) returns c for any
// valid c.
func (c NotifierConfig) Environ() map[string]string {
	return map[string]string{
		EnvOutputBucket:       c.OutputBucket,
		EnvDurableFunctionARN: c.DurableFunctionARN,
	}
}

// Validate reports what NotifierFromEnviron would refuse in c.Environ().
func (c NotifierConfig) Validate() error {
	_, err := NotifierFromEnviron(c.Environ())
	return err
}

// NotifierFromEnviron reads the notifier's configuration from an
// environment map.
func NotifierFromEnviron(env map[string]string) (NotifierConfig, error) {
	return NotifierFromEnv(func(name string) string { return env[name] })
}

// NotifierFromEnv reads the notifier's configuration through getenv
// (os.Getenv in production), reporting every bad setting at once, each
// naming the variable and the rule.
func NotifierFromEnv(getenv func(string) string) (NotifierConfig, error) {
	var errs []error
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c := NotifierConfig{
		OutputBucket:       get(EnvOutputBucket),
		DurableFunctionARN: get(EnvDurableFunctionARN),
	}
	switch {
	case c.OutputBucket == "":
		errs = append(errs, fmt.Errorf("%s is required: the S3 bucket the videos land in", EnvOutputBucket))
	case !bucketPattern.MatchString(c.OutputBucket):
		errs = append(errs, fmt.Errorf("%s=%q is not a valid S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)", EnvOutputBucket, c.OutputBucket))
	}
	switch {
	case c.DurableFunctionARN == "":
		errs = append(errs, fmt.Errorf("%s is required: the ARN of the durable function whose callbacks the notifier completes", EnvDurableFunctionARN))
	case !functionARNPattern.MatchString(c.DurableFunctionARN):
		errs = append(errs, fmt.Errorf("%s=%q must be an unqualified Lambda function ARN such as arn:aws:lambda:us-east-1:123456789012:function:video-handler", EnvDurableFunctionARN, c.DurableFunctionARN))
	}
	if len(errs) > 0 {
		return NotifierConfig{}, fmt.Errorf("notifier configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
